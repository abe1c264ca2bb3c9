// What every Lethe rule shares: reading raw resource properties safely, the GDPR scope (tag key and
// exemptions, configurable per rule), and two small constructors that give each rule the pack's
// defaults (mandatory, a config schema with defaults) so rule modules only state what they check.
import type {
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

/** A resource as rules see it: from `validateResource` or one entry of `validateStack`'s list. */
export interface Checked {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
}

/** The value at a path inside raw properties, or undefined when any step is missing. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || v === undefined || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

export function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Provider inputs arrive as booleans, but config-driven values can be the strings "true"/"false". */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function numeric(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/** IAM and resource policies are JSON strings in Pulumi inputs (or objects, when built in code). */
export function policyDocument(value: unknown): { Statement?: unknown } | undefined {
  if (typeof value === "string") {
    try {
      return JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === "object" ? (value as { Statement?: unknown }) : undefined;
}

export interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

export function statements(policy: unknown): Statement[] {
  return list(policyDocument(policy)?.Statement).filter((s): s is Statement => !!s && typeof s === "object");
}

/** AWS-managed keys (alias/aws/...) are not customer-managed: the customer cannot control or audit them. */
export function isCustomerManagedKey(keyRef: unknown): boolean {
  const key = text(keyRef);
  return !!key && !/(^|:)alias\/aws\//.test(key);
}

/** "DynamoDB table \"lethe-tables-locks\"": how messages name a resource. */
export function label(r: Checked): string {
  const kind = kindNames[r.type] ?? r.type;
  return `${kind} "${r.name}"`;
}

const kindNames: Record<string, string> = {
  "aws:dynamodb/table:Table": "DynamoDB table",
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:s3/bucketV2:BucketV2": "S3 bucket",
  "aws:lambda/function:Function": "Lambda function",
  "aws:sqs/queue:Queue": "SQS queue",
  "aws:sns/topic:Topic": "SNS topic",
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "Firehose stream",
  "aws:athena/workgroup:Workgroup": "Athena workgroup",
  "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings":
    "Glue Data Catalog encryption settings",
  "aws:glue/catalogDatabase:CatalogDatabase": "Glue database",
  "aws:kms/key:Key": "KMS key",
  "aws:cloudwatch/logGroup:LogGroup": "CloudWatch log group",
  "aws:iam/role:Role": "IAM role",
};

// ---- GDPR scope: which resources a rule applies to ----

export interface ScopeConfig {
  /** The tag that classifies a resource; value "false" takes it out of scope. */
  gdprTagKey: string;
  /** Logical names or URNs the rule skips. */
  exemptResources: string[];
}

export const scopeDefaults: ScopeConfig = { gdprTagKey: "gdpr", exemptResources: [] };

export const scopeSchema: Record<keyof ScopeConfig, PolicyConfigJSONSchema> = {
  gdprTagKey: {
    type: "string",
    minLength: 1,
    default: scopeDefaults.gdprTagKey,
    description: 'Tag that classifies a resource as holding personal data; the value "false" opts it out.',
  },
  exemptResources: {
    type: "array",
    items: { type: "string" },
    default: scopeDefaults.exemptResources,
    description: "Logical names or URNs of resources this rule does not check.",
  },
};

export function tagsOf(r: Checked): Record<string, unknown> {
  const tags = r.props.tags ?? r.props.tagsAll;
  return tags && typeof tags === "object" ? (tags as Record<string, unknown>) : {};
}

export function isExempt(r: Checked, cfg: ScopeConfig): boolean {
  return cfg.exemptResources.includes(r.name) || cfg.exemptResources.includes(r.urn);
}

/** In scope unless exempted or explicitly tagged `<gdprTagKey>=false`: an untagged resource counts (fail closed). */
export function inGdprScope(r: Checked, cfg: ScopeConfig): boolean {
  return !isExempt(r, cfg) && String(tagsOf(r)[cfg.gdprTagKey] ?? "true") !== "false";
}

// ---- rule constructors ----

interface RuleBase<C> {
  name: string;
  description: string;
  /** Extra config properties (the scope properties are always there). */
  config?: Record<string, PolicyConfigJSONSchema>;
  defaults: C;
}

function schemaOf(extra: Record<string, PolicyConfigJSONSchema> = {}): PolicyConfigSchema {
  return { properties: { ...scopeSchema, ...extra } };
}

function merged<C>(defaults: C, given: object): C {
  return { ...defaults, ...given } as C;
}

export interface ResourceRule<C extends ScopeConfig> extends RuleBase<C> {
  /** Pulumi type tokens the rule checks (e.g. both aws:s3/bucket:Bucket and its V2 alias). */
  types: string[];
  /** Resources out of GDPR scope are skipped unless this is false. */
  gdprScoped?: boolean;
  check(r: Checked, cfg: C, report: (message: string) => void): void;
}

/** A rule checking one resource at a time; mandatory unless the pack config says otherwise. */
export function resourceRule<C extends ScopeConfig>(rule: ResourceRule<C>): ResourceValidationPolicy {
  const validate = (args: ResourceValidationArgs, reportViolation: ReportViolation): void => {
    if (!rule.types.includes(args.type)) return;
    const cfg = merged(rule.defaults, args.getConfig<object>());
    const r: Checked = { type: args.type, name: args.name, urn: args.urn, props: args.props };
    if (rule.gdprScoped === false ? isExempt(r, cfg) : !inGdprScope(r, cfg)) return;
    rule.check(r, cfg, (message) => reportViolation(message));
  };
  // Lets the analyzer skip other types without calling us (what validateResourceOfType does).
  if (rule.types.length === 1) (validate as unknown as { __pulumiType: string }).__pulumiType = rule.types[0];
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    configSchema: schemaOf(rule.config),
    validateResource: validate,
  };
}

export interface StackRule<C extends ScopeConfig> extends RuleBase<C> {
  check(stack: StackView, cfg: C, report: (r: Checked, message: string) => void): void;
}

/** A rule that joins resources (bucket + its BucketVersioning, function + its role, ...). */
export function stackRule<C extends ScopeConfig>(rule: StackRule<C>): StackValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    configSchema: schemaOf(rule.config),
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const cfg = merged(rule.defaults, args.getConfig<object>());
      rule.check(new StackView(args.resources), cfg, (r, message) => reportViolation(message, r.urn));
    },
  };
}

/** The stack's resources with the joins rules need. */
export class StackView {
  constructor(readonly resources: PolicyResource[]) {}

  ofType(...types: string[]): PolicyResource[] {
    return this.resources.filter((r) => types.includes(r.type));
  }

  /**
   * The resources of `targetTypes` that `from.props[prop]` refers to: through the property's recorded
   * dependencies (known even during a preview, when the value itself is not), else by comparing the
   * value with the targets' identifying properties (`id`, `bucket`, `name`, `arn`, `url`).
   */
  referenced(from: PolicyResource, prop: string, targetTypes: readonly string[]): PolicyResource[] {
    const byDependency = (from.propertyDependencies?.[prop] ?? []).filter((t) =>
      targetTypes.includes(t.type),
    );
    if (byDependency.length > 0) return byDependency;
    const value = known(() => from.props[prop]);
    if (value === undefined) return [];
    const wanted = list(value).map(String);
    return this.ofType(...targetTypes).filter((t) =>
      ["id", "bucket", "name", "arn", "url"].some((k) => {
        const v = known(() => t.props[k]);
        return v !== undefined && wanted.includes(String(v));
      }),
    );
  }

  /** Resources of `types` whose `prop` refers to `target` (the inverse of `referenced`). */
  referencing(target: PolicyResource, types: readonly string[], prop: string): PolicyResource[] {
    return this.ofType(...types).filter((r) => this.referenced(r, prop, [target.type]).includes(target));
  }
}

/** A property value, or undefined when it cannot be known yet (a preview of a new resource). */
export function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err && (err as Error).constructor?.name === "UnknownValueError") return undefined;
    throw err;
  }
}

export function asChecked(r: PolicyResource): Checked {
  return { type: r.type, name: r.name, urn: r.urn, props: r.props };
}

/** A rule that one top-level property of a resource names a customer-managed KMS key. */
export function customerManagedKeyRule(rule: {
  name: string;
  description: string;
  type: string;
  /** The property holding the key, e.g. "kmsMasterKeyId". */
  property: string;
  /** Appended to the fix in the message, e.g. " on the queue". */
  fixHint?: string;
}): ResourceValidationPolicy {
  return resourceRule({
    name: rule.name,
    description: rule.description,
    types: [rule.type],
    defaults: scopeDefaults,
    check(r, _cfg, report) {
      if (!isCustomerManagedKey(r.props[rule.property])) {
        report(
          `${label(r)} is not encrypted with a customer-managed KMS key. Set \`${rule.property}: <CMK ARN>\`${rule.fixHint ?? ""}.`,
        );
      }
    },
  });
}
