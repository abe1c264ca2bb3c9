// Lethe's stack settings: declared (with descriptions and defaults) in Pulumi.yaml, read once here,
// validated, and passed down typed. A bad setting stops the preview with a message naming it.
import * as pulumi from "@pulumi/pulumi";
import { scheduleExpressionProblem } from "./scheduleExpression";
import { declaredSettings, findProjectFile } from "../runtime/contracts/projectConfig";
import { falsePositiveRateFromPerMillion } from "../runtime/ingest/settings";
import { StoreConfig, StoreConfigError, validateStores } from "../runtime/contracts/stores";
import { eventsTable } from "../runtime/contracts/lakeSchema";
import {
  columnPathPattern,
  csvFormats,
  dataMapperStrategies,
  DataMapperStrategy,
  idColumnPathPattern,
  CsvTableOptions,
  dataMapperFormats,
  DataMapperFormat,
  mapperNamePattern,
} from "../runtime/contracts/mappers";
import { CsvOptionsError, csvDialect } from "../runtime/formats/csv/dialect";
import { RetentionRule, retentionRuleProblem } from "../runtime/contracts/retention";
import { KeyTemplateError, parseKeyTemplate } from "../runtime/subjects/keyTemplate";

/**
 * One entry of `lethe:dataMappers`. `glueDatabase` and `location` may be left out only for the events
 * table Lethe creates (the program fills in its database and location); every other table names both.
 */
/**
 * Lake formats a user may name that Lethe refuses at preview, each with why (docs/purge.md, "ORC and
 * Avro"): erasing rows means rewriting the object, and nothing here rewrites these faithfully yet.
 */
const unsupportedFormats: Record<string, string> = {
  orc:
    "no JavaScript or WebAssembly library writes ORC (stripes, their indexes and statistics, its codecs); " +
    "rewriting it here would lose what the table's readers rely on. Convert the table to Parquet " +
    "(Athena CREATE TABLE AS ... WITH (format = 'PARQUET')) and point the mapper at it",
  avro:
    "not yet: avsc can rewrite Avro container files keeping the schema, codec and metadata, but Lethe " +
    "has no Avro home in runtime/formats/ yet. Convert the table to Parquet meanwhile",
};

export interface DataMapperSetting {
  name: string;
  glueDatabase?: string;
  glueTable: string;
  location?: string;
  idColumns: string[];
  format: DataMapperFormat;
  partitionColumns?: string[];
  /** The table's CSV options: required for the `csv` and `csv.gz` formats, refused for the others. */
  csv?: CsvTableOptions;
  /** Erase rows older than this on lethe:retentionSchedule (docs/retention.md). */
  retention?: RetentionRule;
  /** `delete-row` (the default) or `delete-object` (docs/purge.md, "Strategies"). */
  strategy?: DataMapperStrategy;
  /** `delete-object` only: where a subject's objects are, relative to `location` (`users/{customer_id}/*`). */
  keyTemplate?: string;
  /** `mask` only: the personal columns set to null or to the subject's keyed hash. */
  mask?: { columns: Record<string, "null" | "hash"> };
}

/** The formats whose rows Lethe can mask in place (runtime/formats/<format>/ with a `mask`). */
const maskableFormats: readonly DataMapperFormat[] = ["jsonl", "jsonl.gz"];

export interface LetheConfig {
  /** Days the controller has to complete an erasure (GDPR: "without undue delay", one month). */
  erasureDeadlineDays: number;
  /** Days before S3 expires noncurrent object versions; must be shorter than the erasure deadline. */
  noncurrentVersionExpirationDays: number;
  /** Athena refuses any query in the workgroup that would scan more bytes than this. */
  athenaBytesScannedCutoff: number;
  /** Days Athena query results (which may hold customer IDs) are kept. */
  athenaResultsRetentionDays: number;
  /** Deliveries of a purge message before it moves to the dead-letter queue. */
  purgeQueueMaxReceiveCount: number;
  /** Seconds a received purge message stays hidden from other workers. */
  purgeQueueVisibilityTimeoutSeconds: number;
  /** Purge function: MiB of memory (also bounds the largest object it accepts: a quarter of it). */
  purgeFunctionMemoryMb: number;
  /** Purge function: seconds per invocation; shorter than purgeQueueVisibilityTimeoutSeconds. */
  purgeFunctionTimeoutSeconds: number;
  /** Purge function: reserved concurrency, the most objects purged at once. */
  purgeFunctionReservedConcurrency: number;
  /** Purge queue messages (objects) per purge invocation, purged one after another. */
  purgeBatchSize: number;
  /** Optional e-mail address subscribed to the alert topic ("" for none). */
  alertEmail: string;
  /** Days a finished erasure request is kept before DynamoDB TTL removes it. */
  requestRetentionDays: number;
  /** Days an error record for manual adjudication is kept. */
  errorRetentionDays: number;
  /** Days an audit record (no PII) is kept. */
  auditRetentionDays: number;
  /** Days past its deadline a failed request keeps its raw IDs before they are dropped. */
  failedRequestIdGraceDays: number;
  /** Firehose buffering: seconds. */
  firehoseBufferingIntervalSeconds: number;
  /** Firehose buffering: MiB (64 or more when converting to Parquet). */
  firehoseBufferingSizeMb: number;
  /** CloudWatch Logs retention for every log group Lethe creates. */
  logRetentionDays: number;
  /** DynamoDB deletion protection on every table. */
  deletionProtection: boolean;
  /** Whether this stack manages the account-wide Glue Data Catalog encryption settings. */
  manageGlueCatalogEncryption: boolean;
  /** Days before objects Firehose could not deliver (under ingest-errors/, raw records) expire; shorter than the deadline. */
  ingestErrorRetentionDays: number;
  /** Ingest guard: the opt-out filter's target false positives per million non-opted-out IDs (100 = 1e-4). */
  ingestFilterFalsePositivesPerMillion: number;
  /** Ingest guard: EventBridge schedule on which the filter builder runs. */
  ingestFilterBuildSchedule: string;
  /** Ingest guard: the transformer checks for a newer filter generation at most this often. */
  ingestFilterRefreshSeconds: number;
  /** Ingest guard: seconds the filter held is trusted while its pointer cannot be read; then every record is confirmed. */
  ingestFilterMaxStalenessSeconds: number;
  /** Ingest guard: seconds a DynamoDB confirmation stays in the transformer's cache. */
  ingestConfirmCacheTtlSeconds: number;
  /** Ingest guard: entries of the confirmation cache (least recently used evicted first). */
  ingestConfirmCacheMaxEntries: number;
  /** Firehose buffering in front of the transformation Lambda: seconds. */
  ingestProcessorBufferingIntervalSeconds: number;
  /** Firehose buffering in front of the transformation Lambda: MiB (Lambda payloads are at most 6 MB). */
  ingestProcessorBufferingSizeMb: number;
  /** Stores beyond the lake (DynamoDB, PostgreSQL, external subsystems), each with its owner. */
  stores: StoreConfig[];
  /** Accept http:// subsystem URLs on 127.0.0.1 or localhost (a local stack's test doubles). */
  subsystemLoopbackHttp: boolean;
  /** Days before a batch's manifest (its subjects' raw IDs) expires; shorter than the deadline. */
  manifestRetentionDays: number;
  /** The Glue tables Lethe finds and forgets subjects in. */
  dataMappers: DataMapperSetting[];
  /** HTTP API: who may call it, "iam" (SigV4) or "cognito" (a user pool's tokens). */
  apiAuthorizer: string;
  /** HTTP API: the Cognito user pool's ARN when apiAuthorizer is "cognito". */
  apiCognitoUserPoolArn: string;
  /** The console's sign-in (cognito only): the hosted UI's base URL, https://<prefix>.auth.<region>.amazoncognito.com. */
  apiConsoleCognitoDomain: string;
  /** The console's sign-in (cognito only): a public app client of the pool (code grant, PKCE, callback <apiUrl>/console). */
  apiConsoleCognitoClientId: string;
  /** HTTP API: the stage's steady requests per second. */
  apiThrottleRateLimit: number;
  /** HTTP API: the stage's burst above the steady rate. */
  apiThrottleBurstLimit: number;
  /** HTTP API: put a WAF web ACL (AWS common rules, a rate limit per IP) in front of the stage. */
  apiWaf: boolean;
  /** Hours an approve/reject link in an approval notification works. */
  approvalLinkTtlHours: number;
  /** Wait for a human's approval of each batch's plan before anything is purged. */
  approvalRequired: boolean;
  /** EventBridge schedule on which open requests are collected into a batch. */
  batchSchedule: string;
  /** Most subject IDs one batch collects (requests are never split across batches). */
  batchMaxSubjects: number;
  /** Seconds the workflow waits after forget for records in flight at intake to land; at least the ingest path's latency. */
  drainSeconds: number;
  /** Seconds between two polls of a batch's ledger while its objects are purged. */
  ledgerPollSeconds: number;
  /** Verify rounds that may send new hits back to forget before the batch needs attention. */
  maxVerifyRounds: number;
  /** Hours an approver has to decide on a plan before the batch needs attention. */
  approvalTimeoutHours: number;
  /** Days before a request's deadline the deadline function starts alerting. */
  deadlineWarningDays: number;
  /** EventBridge schedule on which the deadline function sweeps open requests. */
  deadlineSchedule: string;
  /** EventBridge schedule of the retention function (only deployed when a data mapper declares retention). */
  retentionSchedule: string;
  /** Days a request's report (keyed hashes only: the proof of erasure) is kept in the report bucket. */
  reportRetentionDays: number;
}

/**
 * Each setting's type, as Pulumi.yaml declares it ("json": a string holding JSON, since Pulumi project
 * config cannot declare object types); the defaults come from Pulumi.yaml alone.
 */
export const settingTypes: Record<keyof LetheConfig, "integer" | "string" | "boolean" | "json"> = {
  erasureDeadlineDays: "integer",
  noncurrentVersionExpirationDays: "integer",
  athenaBytesScannedCutoff: "integer",
  athenaResultsRetentionDays: "integer",
  purgeQueueMaxReceiveCount: "integer",
  purgeQueueVisibilityTimeoutSeconds: "integer",
  purgeFunctionMemoryMb: "integer",
  purgeFunctionTimeoutSeconds: "integer",
  purgeFunctionReservedConcurrency: "integer",
  purgeBatchSize: "integer",
  alertEmail: "string",
  requestRetentionDays: "integer",
  errorRetentionDays: "integer",
  auditRetentionDays: "integer",
  failedRequestIdGraceDays: "integer",
  firehoseBufferingIntervalSeconds: "integer",
  firehoseBufferingSizeMb: "integer",
  logRetentionDays: "integer",
  deletionProtection: "boolean",
  manageGlueCatalogEncryption: "boolean",
  ingestErrorRetentionDays: "integer",
  ingestFilterFalsePositivesPerMillion: "integer",
  ingestFilterBuildSchedule: "string",
  ingestFilterRefreshSeconds: "integer",
  ingestFilterMaxStalenessSeconds: "integer",
  ingestConfirmCacheTtlSeconds: "integer",
  ingestConfirmCacheMaxEntries: "integer",
  ingestProcessorBufferingIntervalSeconds: "integer",
  ingestProcessorBufferingSizeMb: "integer",
  stores: "json",
  subsystemLoopbackHttp: "boolean",
  manifestRetentionDays: "integer",
  dataMappers: "json",
  apiAuthorizer: "string",
  apiCognitoUserPoolArn: "string",
  apiConsoleCognitoDomain: "string",
  apiConsoleCognitoClientId: "string",
  apiThrottleRateLimit: "integer",
  apiThrottleBurstLimit: "integer",
  apiWaf: "boolean",
  approvalLinkTtlHours: "integer",
  approvalRequired: "boolean",
  batchSchedule: "string",
  batchMaxSubjects: "integer",
  drainSeconds: "integer",
  ledgerPollSeconds: "integer",
  maxVerifyRounds: "integer",
  approvalTimeoutHours: "integer",
  deadlineWarningDays: "integer",
  deadlineSchedule: "string",
  retentionSchedule: "string",
  reportRetentionDays: "integer",
};

export const projectFile = findProjectFile(__dirname);

/**
 * The defaults Pulumi.yaml declares, the one place they live (the Pulumi CLI applies the same ones to
 * a stack that does not set a key; this is for runs without the CLI: tests, local stacks, the demo).
 * Throws when Pulumi.yaml and LetheConfig disagree on a key or its type.
 */
export function readProjectDefaults(file = projectFile): LetheConfig {
  const declared = declaredSettings(file);
  const known = Object.keys(settingTypes) as (keyof LetheConfig)[];
  for (const k of Object.keys(declared)) {
    if (!(k in settingTypes))
      throw new Error(`${file}: lethe:${k} is declared but infra/config.ts does not read it`);
  }
  const out: Record<string, unknown> = {};
  for (const k of known) {
    const d = declared[k];
    const kind = settingTypes[k];
    const yamlType = kind === "json" ? "string" : kind;
    const jsType = kind === "integer" ? "number" : yamlType;
    if (!d || d.type !== yamlType || typeof d.default !== jsType) {
      throw new Error(`${file}: lethe:${k} must be declared with type ${yamlType} and a default`);
    }
    try {
      out[k] = kind === "json" ? JSON.parse(d.default as string) : d.default;
    } catch (e) {
      throw new Error(`${file}: lethe:${k}'s default must be JSON: ${(e as Error).message}`);
    }
  }
  return out as unknown as LetheConfig;
}

export const configDefaults: LetheConfig = readProjectDefaults();

/** The ingest guard's target false-positive rate, from its per-million setting. */
export function filterFalsePositiveRate(c: LetheConfig): number {
  return falsePositiveRateFromPerMillion(c.ingestFilterFalsePositivesPerMillion);
}

/** The retention values CloudWatch Logs accepts. */
export const logRetentionValues = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export class ConfigError extends Error {
  constructor(
    readonly setting: keyof LetheConfig,
    message: string,
  ) {
    super(`lethe:${setting}: ${message}`);
    this.name = "ConfigError";
  }
}

function integerIn(c: LetheConfig, key: keyof LetheConfig, min: number, max: number): void {
  const v = c[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(key, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
}

/** Checks every setting, throwing a ConfigError that names the first bad one. */
export function validateConfig(c: LetheConfig): LetheConfig {
  integerIn(c, "erasureDeadlineDays", 1, 90);
  integerIn(c, "noncurrentVersionExpirationDays", 1, 365);
  if (c.noncurrentVersionExpirationDays >= c.erasureDeadlineDays) {
    throw new ConfigError(
      "noncurrentVersionExpirationDays",
      `must be shorter than lethe:erasureDeadlineDays (${c.erasureDeadlineDays}), got ${c.noncurrentVersionExpirationDays}: ` +
        "older object versions still holding erased rows would outlive the legal deadline",
    );
  }
  integerIn(c, "athenaBytesScannedCutoff", 10 * 1024 ** 2, Number.MAX_SAFE_INTEGER);
  integerIn(c, "athenaResultsRetentionDays", 1, 365);
  integerIn(c, "purgeQueueMaxReceiveCount", 1, 1000);
  integerIn(c, "purgeQueueVisibilityTimeoutSeconds", 30, 43200);
  integerIn(c, "purgeFunctionMemoryMb", 512, 10240);
  integerIn(c, "purgeFunctionTimeoutSeconds", 30, 900);
  if (c.purgeQueueVisibilityTimeoutSeconds <= c.purgeFunctionTimeoutSeconds) {
    throw new ConfigError(
      "purgeQueueVisibilityTimeoutSeconds",
      `must be longer than lethe:purgeFunctionTimeoutSeconds (${c.purgeFunctionTimeoutSeconds}), got ${c.purgeQueueVisibilityTimeoutSeconds}: ` +
        "a message would reappear to a second worker while the first is still purging its object",
    );
  }
  integerIn(c, "purgeFunctionReservedConcurrency", 1, 1000);
  integerIn(c, "purgeBatchSize", 1, 10);
  if (c.alertEmail !== "" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(c.alertEmail)) {
    throw new ConfigError(
      "alertEmail",
      `must be an e-mail address or empty, got ${JSON.stringify(c.alertEmail)}`,
    );
  }
  integerIn(c, "requestRetentionDays", 1, 3650);
  integerIn(c, "errorRetentionDays", 1, 3650);
  integerIn(c, "auditRetentionDays", 1, 3650);
  integerIn(c, "failedRequestIdGraceDays", 0, 365);
  integerIn(c, "firehoseBufferingIntervalSeconds", 0, 900);
  integerIn(c, "firehoseBufferingSizeMb", 64, 128);
  if (!logRetentionValues.includes(c.logRetentionDays)) {
    throw new ConfigError(
      "logRetentionDays",
      `must be one of the values CloudWatch Logs accepts (${logRetentionValues.join(", ")}), got ${c.logRetentionDays}`,
    );
  }
  integerIn(c, "ingestErrorRetentionDays", 1, 365);
  if (c.ingestErrorRetentionDays >= c.erasureDeadlineDays) {
    throw new ConfigError(
      "ingestErrorRetentionDays",
      `must be shorter than lethe:erasureDeadlineDays (${c.erasureDeadlineDays}), got ${c.ingestErrorRetentionDays}: ` +
        "records Firehose could not deliver hold raw personal data that no purge rewrites",
    );
  }
  integerIn(c, "ingestFilterFalsePositivesPerMillion", 1, 100000);
  checkSchedule(c, "ingestFilterBuildSchedule");
  integerIn(c, "ingestFilterRefreshSeconds", 0, 86400);
  integerIn(c, "ingestFilterMaxStalenessSeconds", 0, 86400);
  integerIn(c, "ingestConfirmCacheTtlSeconds", 1, 86400);
  integerIn(c, "ingestConfirmCacheMaxEntries", 1, 10_000_000);
  integerIn(c, "ingestProcessorBufferingIntervalSeconds", 0, 900);
  integerIn(c, "ingestProcessorBufferingSizeMb", 1, 3);
  checkStores(c.stores, c.subsystemLoopbackHttp);
  integerIn(c, "manifestRetentionDays", 1, 365);
  validateApiSettings(c);
  if (c.manifestRetentionDays >= c.erasureDeadlineDays) {
    throw new ConfigError(
      "manifestRetentionDays",
      `must be shorter than lethe:erasureDeadlineDays (${c.erasureDeadlineDays}), got ${c.manifestRetentionDays}: ` +
        "a manifest holds the subjects' raw IDs",
    );
  }
  validateDataMappers(c.dataMappers);
  validateWorkflowSettings(c);
  return c;
}

function checkSchedule(c: LetheConfig, key: keyof LetheConfig): void {
  const v = c[key];
  const problem = typeof v === "string" ? scheduleExpressionProblem(v) : "not a string";
  if (problem) {
    throw new ConfigError(
      key,
      `must be an EventBridge schedule such as "rate(15 minutes)" or "cron(0/15 * * * ? *)", got ${JSON.stringify(v)} (${problem})`,
    );
  }
}

/**
 * Seconds a record that was in the ingest path when a request arrived may still take to land in the
 * lake: the transformer's Firehose buffer, the filter refresh (the rebuilt filter reaches it), the
 * cached "opted out" answers, and Firehose's S3 buffer. The drain wait must be at least this.
 */
export function ingestLatencySeconds(c: LetheConfig): number {
  return (
    c.ingestProcessorBufferingIntervalSeconds +
    c.ingestFilterRefreshSeconds +
    c.ingestConfirmCacheTtlSeconds +
    c.firehoseBufferingIntervalSeconds
  );
}

/** The erasure workflow's settings (batching, the state machine's waits and bounds, deadlines). */
function validateWorkflowSettings(c: LetheConfig): void {
  if (typeof c.approvalRequired !== "boolean")
    throw new ConfigError(
      "approvalRequired",
      `must be true or false, got ${JSON.stringify(c.approvalRequired)}`,
    );
  checkSchedule(c, "batchSchedule");
  integerIn(c, "batchMaxSubjects", 1, 10_000);
  integerIn(c, "drainSeconds", 0, 86_400);
  const latency = ingestLatencySeconds(c);
  if (c.drainSeconds < latency) {
    throw new ConfigError(
      "drainSeconds",
      `must be at least the ingest path's latency, ${latency} s (ingest processor buffering + filter refresh + ` +
        `confirmation cache TTL + Firehose buffering), got ${c.drainSeconds}: records in flight at intake would land after verify`,
    );
  }
  integerIn(c, "ledgerPollSeconds", 5, 3600);
  integerIn(c, "maxVerifyRounds", 1, 10);
  integerIn(c, "approvalTimeoutHours", 1, 24 * 90);
  if (c.approvalTimeoutHours >= c.erasureDeadlineDays * 24) {
    throw new ConfigError(
      "approvalTimeoutHours",
      `must be shorter than lethe:erasureDeadlineDays (${c.erasureDeadlineDays} days), got ${c.approvalTimeoutHours}: ` +
        "a batch waiting for approval would outlive its requests' deadline",
    );
  }
  integerIn(c, "deadlineWarningDays", 1, 90);
  if (c.deadlineWarningDays >= c.erasureDeadlineDays) {
    throw new ConfigError(
      "deadlineWarningDays",
      `must be shorter than lethe:erasureDeadlineDays (${c.erasureDeadlineDays}), got ${c.deadlineWarningDays}: ` +
        "every request would be due soon from the day it arrives",
    );
  }
  checkSchedule(c, "deadlineSchedule");
  checkSchedule(c, "retentionSchedule");
  integerIn(c, "reportRetentionDays", 1, 3650);
}

const glueNamePattern = /^[a-z0-9_]{1,255}$/;
const locationPattern = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([^*?\s]+\/)?$/;

/** Checks every data mapper, throwing a ConfigError naming the mapper and the field. */
export function validateDataMappers(mappers: unknown): void {
  const fail = (message: string): never => {
    throw new ConfigError("dataMappers", message);
  };
  if (!Array.isArray(mappers) || mappers.length === 0) fail("must be a non-empty list of data mappers");
  const names = new Set<string>();
  (mappers as unknown[]).forEach((raw, i) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(`entry ${i} must be an object`);
    const m = raw as Record<string, unknown>;
    const label = typeof m.name === "string" ? `mapper "${m.name}"` : `entry ${i}`;
    const bad = (field: string, rule: string): never =>
      fail(`${label}: ${field} ${rule}, got ${JSON.stringify(m[field])}`);
    const known = [
      "name",
      "glueDatabase",
      "glueTable",
      "location",
      "idColumns",
      "format",
      "partitionColumns",
      "csv",
      "retention",
      "strategy",
      "keyTemplate",
      "mask",
    ];
    for (const k of Object.keys(m))
      if (!known.includes(k)) fail(`${label}: unknown field ${JSON.stringify(k)}`);
    if (typeof m.name !== "string" || !mapperNamePattern.test(m.name))
      bad("name", "must match [a-z][a-z0-9-]* (at most 32 characters)");
    if (names.has(m.name as string)) fail(`${label}: name is used by another mapper`);
    names.add(m.name as string);
    if (typeof m.glueTable !== "string" || !glueNamePattern.test(m.glueTable))
      bad("glueTable", "must be a Glue table name (lower case, digits, _)");
    if (m.glueDatabase === undefined) {
      if (m.glueTable !== eventsTable.name)
        bad("glueDatabase", `is required for any table but Lethe's own ${eventsTable.name}`);
      if (m.location !== undefined)
        bad("location", "must be left out for Lethe's own table (the program knows it)");
    } else {
      if (typeof m.glueDatabase !== "string" || !glueNamePattern.test(m.glueDatabase))
        bad("glueDatabase", "must be a Glue database name (lower case, digits, _)");
      if (typeof m.location !== "string" || !locationPattern.test(m.location))
        bad("location", "must be the table's location, s3://bucket/prefix/ (ending in /)");
    }
    const columns = (field: string, required: boolean, pattern = columnPathPattern): string[] => {
      const v = m[field];
      if (v === undefined && !required) return [];
      if (!Array.isArray(v) || (required && v.length === 0))
        bad(field, required ? "must be a non-empty list of column names" : "must be a list of column names");
      for (const c of v as unknown[]) {
        if (typeof c !== "string" || !pattern.test(c))
          bad(
            field,
            pattern === idColumnPathPattern
              ? `must hold column names (dotted paths into structs, and at most one array step \`[]\` as in contacts[].customer_id, allowed); ${JSON.stringify(c)} is not one`
              : `must hold column names (dotted paths into structs allowed); ${JSON.stringify(c)} is not one`,
          );
      }
      if (new Set(v as string[]).size !== (v as string[]).length) bad(field, "must not name a column twice");
      return v as string[];
    };
    const ids = columns("idColumns", true, idColumnPathPattern);
    const partitions = columns("partitionColumns", false);
    if (partitions.some((p) => p.includes(".")))
      bad("partitionColumns", "must name top-level partition columns");
    const both = ids.filter((c) => partitions.includes(c));
    if (both.length > 0) bad("partitionColumns", `must not repeat an ID column (${both.join(", ")})`);
    const retention = m.retention === undefined ? undefined : retentionRuleProblem(m.retention, partitions);
    if (retention) fail(`${label}: retention ${retention}`);
    if (m.strategy !== undefined) {
      if (!dataMapperStrategies.includes(m.strategy as DataMapperStrategy))
        bad("strategy", `must be one of ${dataMapperStrategies.join(", ")}`);
    }
    if (m.strategy === "delete-object") {
      try {
        parseKeyTemplate(m.keyTemplate, ids);
      } catch (e) {
        if (e instanceof KeyTemplateError)
          fail(`${label}: ${e.message} (strategy delete-object; docs/purge.md, "Strategies")`);
        throw e;
      }
      if (m.retention !== undefined)
        bad(
          "retention",
          "is not supported with strategy delete-object (an object has no row time to erase by)",
        );
    } else if (m.keyTemplate !== undefined) bad("keyTemplate", "is only for strategy delete-object");
    if (m.strategy === "mask") maskProblem(m, ids, bad);
    else if (m.mask !== undefined) bad("mask", "is only for strategy mask");
    const unsupported = unsupportedFormats[String(m.format).toLowerCase()];
    if (unsupported) bad("format", `is not supported: ${unsupported} (docs/purge.md, "ORC and Avro")`);
    if (!dataMapperFormats.includes(m.format as DataMapperFormat))
      bad("format", `must be one of ${dataMapperFormats.join(", ")}`);
    if (!csvFormats.includes(m.format as DataMapperFormat)) {
      if (m.csv !== undefined) bad("csv", `is only for the ${csvFormats.join(" and ")} formats`);
      return;
    }
    const arrays = ids.filter((c) => c.includes("[]"));
    if (arrays.length > 0)
      bad(
        "idColumns",
        `must not reach into arrays for CSV: a CSV field holds no array (${arrays.join(", ")})`,
      );
    if (m.csv === undefined)
      bad("csv", `is required for the ${m.format} format (the table's SerDe and columns)`);
    let tableColumns: string[];
    try {
      tableColumns = csvDialect(m.csv as CsvTableOptions).columns.map((c) => c.toLowerCase());
    } catch (e) {
      if (e instanceof CsvOptionsError) fail(`${label}: ${e.message}`);
      throw e;
    }
    // A CSV row holds the table's columns only: IDs are among them, partition values are in the path.
    const missing = ids.filter((c) => !tableColumns.includes(c.toLowerCase()));
    if (missing.length > 0) bad("idColumns", `must be among csv.columns (${missing.join(", ")} is not)`);
    const inRows = partitions.filter((c) => tableColumns.includes(c.toLowerCase()));
    if (inRows.length > 0)
      bad(
        "partitionColumns",
        `must not be among csv.columns (${inRows.join(", ")}): partitions are in the path`,
      );
  });
}

/** Checks a `mask` mapper's `mask` (docs/purge.md, "Strategies"), calling `bad` on the first problem. */
function maskProblem(
  m: Record<string, unknown>,
  ids: readonly string[],
  bad: (field: string, rule: string) => never,
): void {
  if (!maskableFormats.includes(m.format as DataMapperFormat))
    bad(
      "strategy",
      `mask is not supported for the ${String(m.format)} format yet (only ${maskableFormats.join(", ")}): ` +
        `Lethe cannot rewrite its matching rows' columns in place; use delete-row ` +
        `(docs/purge.md, "Strategies")`,
    );
  if (m.retention !== undefined)
    bad("retention", "is not supported with strategy mask (retention removes rows; it masks nothing)");
  const mask = m.mask as { columns?: unknown } | undefined;
  const columns = mask?.columns;
  if (
    typeof mask !== "object" ||
    mask === null ||
    Object.keys(mask).some((k) => k !== "columns") ||
    typeof columns !== "object" ||
    columns === null ||
    Array.isArray(columns) ||
    Object.keys(columns).length === 0
  )
    bad("mask", 'must be {"columns": {"<column>": "null" | "hash", ...}} naming at least one column');
  for (const [c, how] of Object.entries(columns as Record<string, unknown>)) {
    if (!columnPathPattern.test(c))
      bad("mask", `must name columns (dotted paths into structs, no []); ${JSON.stringify(c)} is not one`);
    if (how !== "null" && how !== "hash")
      bad("mask", `must set ${c} to "null" or "hash", not ${JSON.stringify(how)}`);
  }
  const masked = Object.keys(columns as object);
  const arrays = ids.filter((c) => c.includes("[]"));
  if (arrays.length > 0 && ids.length > 1)
    bad("idColumns", "must be one column when it reaches into an array and the strategy is mask");
  // Otherwise the row would still hold the ID and be found again: the ID columns are masked too.
  const unmasked = ids.filter((c) => !c.includes("[]") && !masked.includes(c));
  if (unmasked.length > 0)
    bad("mask", `must mask every ID column not inside an array (${unmasked.join(", ")} is not masked)`);
}

/** Checks `lethe:stores`: each store's fields (runtime/contracts/stores.ts) and what a deployment needs. */
export function checkStores(stores: unknown, allowLoopbackHttp = false): void {
  let valid: StoreConfig[];
  try {
    valid = validateStores(stores, { allowLoopbackHttp });
  } catch (e) {
    if (e instanceof StoreConfigError) throw new ConfigError("stores", e.message);
    throw e;
  }
  for (const s of valid) {
    if (s.kind === "postgres" && s.network === undefined)
      throw new ConfigError(
        "stores",
        `store "${s.name}": network {vpcId, subnetIds, securityGroupIds} is required: the function runs in the database's VPC`,
      );
  }
}

/** A structured setting's value: JSON text, refused with the key named when it does not parse. */
function parseJsonSetting(k: keyof LetheConfig, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(k, `must be JSON: ${(e as Error).message}`);
  }
}

/** Reads the `lethe:` namespace of the current stack's configuration: every key Pulumi.yaml declares. */
export function readLetheConfig(config = new pulumi.Config("lethe")): LetheConfig {
  const read = (k: keyof LetheConfig): unknown => {
    const raw = config.get(k);
    if (raw === undefined || raw === "") return configDefaults[k];
    switch (settingTypes[k]) {
      case "integer": {
        const n = Number(raw);
        if (!Number.isFinite(n)) throw new ConfigError(k, `must be a number, got ${JSON.stringify(raw)}`);
        return n;
      }
      case "boolean":
        if (raw !== "true" && raw !== "false")
          throw new ConfigError(k, `must be true or false, got ${JSON.stringify(raw)}`);
        return raw === "true";
      case "string":
        return raw;
      case "json":
        return parseJsonSetting(k, raw);
    }
  };
  const c = Object.fromEntries((Object.keys(settingTypes) as (keyof LetheConfig)[]).map((k) => [k, read(k)]));
  return validateConfig(c as unknown as LetheConfig);
}

function validateApiSettings(c: LetheConfig): void {
  if (c.apiAuthorizer !== "iam" && c.apiAuthorizer !== "cognito")
    throw new ConfigError(
      "apiAuthorizer",
      `must be "iam" or "cognito", got ${JSON.stringify(c.apiAuthorizer)}`,
    );
  if (
    c.apiAuthorizer === "cognito" &&
    !/^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[\w-]+$/.test(c.apiCognitoUserPoolArn)
  )
    throw new ConfigError(
      "apiCognitoUserPoolArn",
      `must be a Cognito user pool ARN when lethe:apiAuthorizer is "cognito", got ${JSON.stringify(c.apiCognitoUserPoolArn)}`,
    );
  if (c.apiConsoleCognitoDomain !== "" && !/^https:\/\/[a-z0-9.-]+(:\d+)?$/.test(c.apiConsoleCognitoDomain))
    throw new ConfigError(
      "apiConsoleCognitoDomain",
      `must be the hosted UI's https:// base URL (no path), got ${JSON.stringify(c.apiConsoleCognitoDomain)}`,
    );
  if (c.apiConsoleCognitoClientId !== "" && !/^[\w+]{1,128}$/.test(c.apiConsoleCognitoClientId))
    throw new ConfigError(
      "apiConsoleCognitoClientId",
      `must be a Cognito app client id, got ${JSON.stringify(c.apiConsoleCognitoClientId)}`,
    );
  if ((c.apiConsoleCognitoDomain === "") !== (c.apiConsoleCognitoClientId === ""))
    throw new ConfigError(
      c.apiConsoleCognitoDomain === "" ? "apiConsoleCognitoDomain" : "apiConsoleCognitoClientId",
      "the console's sign-in needs both lethe:apiConsoleCognitoDomain and lethe:apiConsoleCognitoClientId",
    );
  if (c.apiConsoleCognitoDomain !== "" && c.apiAuthorizer !== "cognito")
    throw new ConfigError(
      "apiConsoleCognitoDomain",
      'the console signs in with Cognito only when lethe:apiAuthorizer is "cognito"',
    );
  integerIn(c, "apiThrottleRateLimit", 1, 10_000);
  integerIn(c, "apiThrottleBurstLimit", 1, 5_000);
  integerIn(c, "approvalLinkTtlHours", 1, 720);
}
