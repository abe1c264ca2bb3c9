// S3 buckets holding personal data. @pulumi/aws 7 configures a bucket through separate resources
// (BucketVersioning, BucketServerSideEncryptionConfiguration, ...) that name it by its `bucket` input,
// while older code sets the same things inline on the bucket: each rule joins both at stack level.
import type { PolicyResource } from "@pulumi/policy";
import {
  asChecked,
  at,
  inGdprScope,
  isCustomerManagedKey,
  isTrue,
  label,
  list,
  numeric,
  scopeDefaults,
  ScopeConfig,
  stackRule,
  StackView,
  Statement,
  statements,
  text,
} from "./common";
import { T } from "./types";

/** Buckets in scope, each with the separate configuration resources that point at it. */
function bucketsInScope(stack: StackView, cfg: ScopeConfig) {
  return stack
    .ofType(...T.buckets)
    .filter((b) => inGdprScope(asChecked(b), cfg))
    .map((bucket) => ({
      bucket,
      related: (types: readonly string[]) => stack.referencing(bucket, [...types], "bucket"),
    }));
}

function kmsDefault(rule: unknown): { algorithm?: string; key?: string } {
  const d = at(rule, "applyServerSideEncryptionByDefault");
  return { algorithm: text(at(d, "sseAlgorithm")), key: text(at(d, "kmsMasterKeyId")) };
}

export const s3CmkEncryption = stackRule({
  name: "s3-cmk-encryption",
  description: "GDPR S3 buckets encrypt new objects by default with SSE-KMS under a customer-managed key.",
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    for (const { bucket, related } of bucketsInScope(stack, cfg)) {
      const defaults = [
        kmsDefault(at(bucket.props, "serverSideEncryptionConfiguration", "rule")),
        ...related(T.bucketEncryption).flatMap((e) => list(e.props.rules).map(kmsDefault)),
      ];
      const ok = defaults.some((d) => d.algorithm?.startsWith("aws:kms") && isCustomerManagedKey(d.key));
      if (!ok) {
        const found = defaults.find((d) => d.algorithm)?.algorithm;
        report(
          asChecked(bucket),
          `${label(asChecked(bucket))} has no default SSE-KMS encryption with a customer-managed key` +
            (found
              ? ` (found ${found}${found.startsWith("aws:kms") ? " without a customer-managed key" : ""})`
              : "") +
            ". Add an aws.s3.BucketServerSideEncryptionConfiguration for it with " +
            '`applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: <CMK ARN> }`.',
        );
      }
    }
  },
});

export const s3VersioningEnabled = stackRule({
  name: "s3-versioning-enabled",
  description:
    "GDPR S3 buckets are versioned, so a purge rewrites objects safely and old versions can be expired on purpose.",
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    for (const { bucket, related } of bucketsInScope(stack, cfg)) {
      const ok =
        isTrue(at(bucket.props, "versioning", "enabled")) ||
        related(T.bucketVersioning).some(
          (v) => at(v.props, "versioningConfiguration", "status") === "Enabled",
        );
      if (!ok) {
        report(
          asChecked(bucket),
          `${label(asChecked(bucket))} is not versioned. Add an aws.s3.BucketVersioning for it with ` +
            '`versioningConfiguration: { status: "Enabled" }`.',
        );
      }
    }
  },
});

const publicAccessFlags = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
];

export const s3PublicAccessBlock = stackRule({
  name: "s3-public-access-block",
  description: "GDPR S3 buckets have all four public-access blocks on.",
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    for (const { bucket, related } of bucketsInScope(stack, cfg)) {
      const blocks = related(T.bucketPublicAccessBlock);
      const missing = publicAccessFlags.filter((f) => !blocks.some((b) => isTrue(b.props[f])));
      if (missing.length > 0) {
        report(
          asChecked(bucket),
          `${label(asChecked(bucket))} does not block all public access (missing: ${missing.join(", ")}). ` +
            "Add an aws.s3.BucketPublicAccessBlock for it with all four flags set to true.",
        );
      }
    }
  },
});

/** Noncurrent-version expiry days of enabled whole-bucket rules, inline or separate. */
function noncurrentExpiryDays(bucket: PolicyResource, lifecycles: PolicyResource[]): number[] {
  const wholeBucket = (rule: unknown) => {
    const prefix = text(at(rule, "prefix")) ?? text(at(rule, "filter", "prefix"));
    const narrowed =
      at(rule, "filter", "tag") ?? at(rule, "filter", "and") ?? at(rule, "filter", "objectSizeGreaterThan");
    return !prefix && narrowed === undefined;
  };
  const inline = list(bucket.props.lifecycleRules)
    .filter((r) => isTrue(at(r, "enabled")) && wholeBucket(r))
    .map((r) => numeric(at(r, "noncurrentVersionExpiration", "days")));
  const separate = lifecycles
    .flatMap((l) => list(l.props.rules))
    .filter((r) => at(r, "status") === "Enabled" && wholeBucket(r))
    .map((r) => numeric(at(r, "noncurrentVersionExpiration", "noncurrentDays")));
  return [...inline, ...separate].filter((d): d is number => d !== undefined);
}

export const s3NoncurrentVersionExpiry = stackRule({
  name: "s3-noncurrent-version-expiry",
  description:
    "GDPR S3 buckets expire noncurrent object versions before the erasure deadline, so rows erased from the " +
    "current version do not survive in older ones.",
  config: {
    erasureDeadlineDays: {
      type: "integer",
      minimum: 1,
      default: 30,
      description: "Days an erasure may take; noncurrent versions must expire in fewer days than this.",
    },
  },
  defaults: { ...scopeDefaults, erasureDeadlineDays: 30 },
  check(stack, cfg, report) {
    for (const { bucket, related } of bucketsInScope(stack, cfg)) {
      const days = noncurrentExpiryDays(bucket, related(T.bucketLifecycle));
      const shortest = days.length ? Math.min(...days) : undefined;
      if (shortest === undefined) {
        report(
          asChecked(bucket),
          `${label(asChecked(bucket))} never expires noncurrent object versions: erased rows live on in them. ` +
            "Add an aws.s3.BucketLifecycleConfiguration rule for the whole bucket with " +
            `\`noncurrentVersionExpiration: { noncurrentDays: <fewer than ${cfg.erasureDeadlineDays}> }\`.`,
        );
      } else if (shortest >= cfg.erasureDeadlineDays) {
        report(
          asChecked(bucket),
          `${label(asChecked(bucket))} keeps noncurrent versions for ${shortest} days, not less than the ` +
            `${cfg.erasureDeadlineDays}-day erasure deadline. Lower noncurrentVersionExpiration to fewer than ${cfg.erasureDeadlineDays} days.`,
        );
      }
    }
  },
});

/** A Deny of every request made without TLS, applying to the bucket and its objects. */
export function deniesInsecureTransport(s: Statement): boolean {
  const principal = s.Principal === "*" || at(s.Principal, "AWS") === "*";
  const actions = list(s.Action).map(String);
  const resources = list(s.Resource).map(String);
  return (
    s.Effect === "Deny" &&
    principal &&
    actions.some((a) => a === "s3:*" || a === "*") &&
    String(at(s.Condition, "Bool", "aws:SecureTransport")) === "false" &&
    resources.some((r) => r.endsWith("/*") || r === "*") &&
    resources.some((r) => !r.endsWith("/*"))
  );
}

export const s3TlsOnlyPolicy = stackRule({
  name: "s3-tls-only-policy",
  description: "GDPR S3 buckets have a bucket policy denying every request not made over TLS.",
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    for (const { bucket, related } of bucketsInScope(stack, cfg)) {
      const policies = [bucket.props.policy, ...related(T.bucketPolicy).map((p) => p.props.policy)];
      if (!policies.some((p) => statements(p).some(deniesInsecureTransport))) {
        report(
          asChecked(bucket),
          `${label(asChecked(bucket))} accepts plain-HTTP requests. Add an aws.s3.BucketPolicy with a statement ` +
            '`{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [<bucket ARN>, "<bucket ARN>/*"], ' +
            'Condition: { Bool: { "aws:SecureTransport": "false" } } }`.',
        );
      }
    }
  },
});

export const s3Rules = [
  s3CmkEncryption,
  s3VersioningEnabled,
  s3PublicAccessBlock,
  s3NoncurrentVersionExpiry,
  s3TlsOnlyPolicy,
];
