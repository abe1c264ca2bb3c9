// Lethe's stack settings: declared (with descriptions and defaults) in Pulumi.yaml, read once here,
// validated, and passed down typed. A bad setting stops the preview with a message naming it.
import * as pulumi from "@pulumi/pulumi";

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
  /** Ingest guard: seconds a DynamoDB confirmation stays in the transformer's cache. */
  ingestConfirmCacheTtlSeconds: number;
  /** Ingest guard: entries of the confirmation cache (least recently used evicted first). */
  ingestConfirmCacheMaxEntries: number;
  /** Firehose buffering in front of the transformation Lambda: seconds. */
  ingestProcessorBufferingIntervalSeconds: number;
  /** Firehose buffering in front of the transformation Lambda: MiB (Lambda payloads are at most 6 MB). */
  ingestProcessorBufferingSizeMb: number;
}

export const configDefaults: LetheConfig = {
  erasureDeadlineDays: 30,
  noncurrentVersionExpirationDays: 7,
  athenaBytesScannedCutoff: 10 * 1024 ** 3,
  athenaResultsRetentionDays: 7,
  purgeQueueMaxReceiveCount: 5,
  purgeQueueVisibilityTimeoutSeconds: 900,
  purgeFunctionMemoryMb: 2048,
  purgeFunctionTimeoutSeconds: 600,
  purgeFunctionReservedConcurrency: 10,
  purgeBatchSize: 2,
  alertEmail: "",
  requestRetentionDays: 365,
  errorRetentionDays: 90,
  auditRetentionDays: 2190,
  firehoseBufferingIntervalSeconds: 300,
  firehoseBufferingSizeMb: 128,
  logRetentionDays: 90,
  deletionProtection: true,
  manageGlueCatalogEncryption: true,
  ingestErrorRetentionDays: 14,
  ingestFilterFalsePositivesPerMillion: 100,
  ingestFilterBuildSchedule: "rate(15 minutes)",
  ingestFilterRefreshSeconds: 60,
  ingestConfirmCacheTtlSeconds: 300,
  ingestConfirmCacheMaxEntries: 100000,
  ingestProcessorBufferingIntervalSeconds: 60,
  ingestProcessorBufferingSizeMb: 1,
};

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
  if (
    !/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/.test(c.ingestFilterBuildSchedule)
  ) {
    throw new ConfigError(
      "ingestFilterBuildSchedule",
      `must be an EventBridge schedule such as "rate(15 minutes)" or "cron(0/15 * * * ? *)", got ${JSON.stringify(c.ingestFilterBuildSchedule)}`,
    );
  }
  integerIn(c, "ingestFilterRefreshSeconds", 0, 86400);
  integerIn(c, "ingestConfirmCacheTtlSeconds", 1, 86400);
  integerIn(c, "ingestConfirmCacheMaxEntries", 1, 10_000_000);
  integerIn(c, "ingestProcessorBufferingIntervalSeconds", 0, 900);
  integerIn(c, "ingestProcessorBufferingSizeMb", 1, 3);
  return c;
}

/** Reads the `lethe:` namespace of the current stack's configuration. */
export function readLetheConfig(config = new pulumi.Config("lethe")): LetheConfig {
  const num = (k: keyof LetheConfig): number => {
    const raw = config.get(k);
    if (raw === undefined || raw === "") return configDefaults[k] as number;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ConfigError(k, `must be a number, got ${JSON.stringify(raw)}`);
    return n;
  };
  const bool = (k: keyof LetheConfig): boolean => {
    const raw = config.get(k);
    if (raw === undefined || raw === "") return configDefaults[k] as boolean;
    if (raw !== "true" && raw !== "false")
      throw new ConfigError(k, `must be true or false, got ${JSON.stringify(raw)}`);
    return raw === "true";
  };
  return validateConfig({
    erasureDeadlineDays: num("erasureDeadlineDays"),
    noncurrentVersionExpirationDays: num("noncurrentVersionExpirationDays"),
    athenaBytesScannedCutoff: num("athenaBytesScannedCutoff"),
    athenaResultsRetentionDays: num("athenaResultsRetentionDays"),
    purgeQueueMaxReceiveCount: num("purgeQueueMaxReceiveCount"),
    purgeQueueVisibilityTimeoutSeconds: num("purgeQueueVisibilityTimeoutSeconds"),
    purgeFunctionMemoryMb: num("purgeFunctionMemoryMb"),
    purgeFunctionTimeoutSeconds: num("purgeFunctionTimeoutSeconds"),
    purgeFunctionReservedConcurrency: num("purgeFunctionReservedConcurrency"),
    purgeBatchSize: num("purgeBatchSize"),
    alertEmail: config.get("alertEmail") ?? configDefaults.alertEmail,
    requestRetentionDays: num("requestRetentionDays"),
    errorRetentionDays: num("errorRetentionDays"),
    auditRetentionDays: num("auditRetentionDays"),
    firehoseBufferingIntervalSeconds: num("firehoseBufferingIntervalSeconds"),
    firehoseBufferingSizeMb: num("firehoseBufferingSizeMb"),
    logRetentionDays: num("logRetentionDays"),
    deletionProtection: bool("deletionProtection"),
    manageGlueCatalogEncryption: bool("manageGlueCatalogEncryption"),
    ingestErrorRetentionDays: num("ingestErrorRetentionDays"),
    ingestFilterFalsePositivesPerMillion: num("ingestFilterFalsePositivesPerMillion"),
    ingestFilterBuildSchedule:
      config.get("ingestFilterBuildSchedule") || configDefaults.ingestFilterBuildSchedule,
    ingestFilterRefreshSeconds: num("ingestFilterRefreshSeconds"),
    ingestConfirmCacheTtlSeconds: num("ingestConfirmCacheTtlSeconds"),
    ingestConfirmCacheMaxEntries: num("ingestConfirmCacheMaxEntries"),
    ingestProcessorBufferingIntervalSeconds: num("ingestProcessorBufferingIntervalSeconds"),
    ingestProcessorBufferingSizeMb: num("ingestProcessorBufferingSizeMb"),
  });
}
