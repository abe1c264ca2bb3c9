// Whole-stack rules: every data-holding resource declares whether it holds personal data (the GDPR
// tag), and nothing in the stack makes a bucket, table, topic or queue public.
import type { PolicyResource } from "@pulumi/policy";
import {
  asChecked,
  at,
  isExempt,
  known,
  label,
  list,
  scopeDefaults,
  scopeSchema,
  stackRule,
  StackView,
  Statement,
  statements,
  tagsOf,
} from "./common";
import { T } from "./types";

/** Types that hold or move personal data and so must say whether they do. */
export const taggedTypes = [
  T.table,
  ...T.buckets,
  T.queue,
  T.topic,
  T.firehose,
  T.workgroup,
  T.glueDatabase,
  T.function,
  T.logGroup,
  T.kmsKey,
];

export const gdprTagRequired = stackRule({
  name: "gdpr-tag-required",
  description:
    "Every table, bucket, queue, topic, stream, workgroup, Glue database, function, log group and KMS key carries " +
    'the GDPR tag ("true" or "false"), unless exempted: the classification the other rules and auditors rely on.',
  config: {
    exemptTypes: {
      type: "array",
      items: { type: "string" },
      default: [],
      description: "Pulumi type tokens this rule does not check (e.g. aws:kms/key:Key).",
    },
    gdprTagKey: scopeSchema.gdprTagKey,
  },
  defaults: { ...scopeDefaults, exemptTypes: [] as string[] },
  check(stack, cfg, report) {
    for (const r of stack.ofType(...taggedTypes)) {
      const c = asChecked(r);
      if (isExempt(c, cfg) || cfg.exemptTypes.includes(r.type)) continue;
      const value = known(() => tagsOf(c)[cfg.gdprTagKey]);
      if (value !== "true" && value !== "false") {
        report(
          c,
          `${label(c)} does not carry the GDPR tag "${cfg.gdprTagKey}" ` +
            (value === undefined ? "" : `(found ${JSON.stringify(value)}) `) +
            `set to "true" or "false". Add \`tags: { ${cfg.gdprTagKey}: "true" }\` (letheTags() does), or exempt it in the rule's config.`,
        );
      }
    }
  },
});

/** An Allow to everyone ("*") without a condition narrowing it (source account, VPC, ...). */
function allowsEveryone(s: Statement): boolean {
  const p = s.Principal;
  const everyone = p === "*" || list(at(p, "AWS")).includes("*");
  return (
    s.Effect === "Allow" &&
    everyone &&
    (s.Condition === undefined || Object.keys(s.Condition as object).length === 0)
  );
}

const publicAcls = ["public-read", "public-read-write", "authenticated-read"];

export const noPublicDataResources = stackRule({
  name: "no-public-data-resources",
  description:
    'No bucket, DynamoDB table, SNS topic or SQS queue is made public: no public ACL and no resource policy allowing Principal "*" without a condition.',
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    const flag = (target: PolicyResource, why: string) => {
      const c = asChecked(target);
      if (isExempt(c, cfg)) return;
      report(
        c,
        `${label(c)} is public: ${why}. Remove the grant, or add a condition restricting it to your account or VPC.`,
      );
    };
    const policyHolders: [readonly string[], string, string, string][] = [
      // [policy resource types, property naming the target, target types, policy property]
      [T.bucketPolicy, "bucket", T.buckets.join(","), "policy"],
      [[T.tableResourcePolicy], "resourceArn", T.table, "policy"],
      [[T.topicPolicy], "arn", T.topic, "policy"],
      [[T.queuePolicy], "queueUrl", T.queue, "policy"],
    ];
    for (const [types, ref, targets, prop] of policyHolders) {
      for (const holder of stack.ofType(...types)) {
        const open = statements(known(() => holder.props[prop])).filter(allowsEveryone);
        if (open.length === 0) continue;
        const sids = open.map((s) => s.Sid ?? "(no Sid)").join(", ");
        const resolved = stack.referenced(holder, ref, targets.split(","));
        for (const t of resolved.length ? resolved : [holder])
          flag(t, `${holder.type.split(":").pop()} "${holder.name}" allows Principal "*" (${sids})`);
      }
    }
    for (const r of stack.ofType(...T.buckets, T.topic, T.queue)) {
      const open = statements(known(() => r.props.policy)).filter(allowsEveryone);
      if (open.length) flag(r, `its inline policy allows Principal "*"`);
      const acl = known(() => r.props.acl);
      if (typeof acl === "string" && publicAcls.includes(acl)) flag(r, `its ACL is "${acl}"`);
    }
    for (const acl of stack.ofType(...T.bucketAcl)) {
      const canned = known(() => acl.props.acl);
      if (typeof canned !== "string" || !publicAcls.includes(canned)) continue;
      for (const b of stack.referenced(acl, "bucket", T.buckets))
        flag(b, `BucketAcl "${acl.name}" sets "${canned}"`);
    }
  },
});

export const stackRules = [gdprTagRequired, noPublicDataResources];

export type { StackView };
