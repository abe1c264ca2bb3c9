// Every environment variable the program sets on a function and the runtime reads, by one name each,
// and the parsers that stop a cold start with a message naming a missing or bad one.

export type Env = Record<string, string | undefined>;

export const envNames = {
  // the ingest guard (filter builder, ingest transformer)
  optOutTable: "LETHE_OPT_OUT_TABLE",
  filterBucket: "LETHE_FILTER_BUCKET",
  filterPrefix: "LETHE_FILTER_PREFIX",
  kmsKeyArn: "LETHE_KMS_KEY_ARN",
  falsePositiveRate: "LETHE_FILTER_FALSE_POSITIVE_RATE",
  refreshSeconds: "LETHE_FILTER_REFRESH_SECONDS",
  maxStalenessSeconds: "LETHE_FILTER_MAX_STALENESS_SECONDS",
  cacheTtlSeconds: "LETHE_CONFIRM_CACHE_TTL_SECONDS",
  cacheMaxEntries: "LETHE_CONFIRM_CACHE_MAX_ENTRIES",
  // the find, indexer and purge functions: the data mappers (JSON array of DataMapper)
  dataMappers: "LETHE_DATA_MAPPERS",
  // the purge and errors functions
  locksTable: "LETHE_LOCKS_TABLE",
  ledgerTable: "LETHE_LEDGER_TABLE",
  indexTable: "LETHE_INDEX_TABLE",
  errorsTable: "LETHE_ERRORS_TABLE",
  purgeQueueUrl: "LETHE_PURGE_QUEUE_URL",
  purgeDeadLetterQueueUrl: "LETHE_PURGE_DLQ_URL",
  alertTopicArn: "LETHE_ALERT_TOPIC_ARN",
  purgeLockWaitSeconds: "LETHE_PURGE_LOCK_WAIT_SECONDS",
  purgeWorkReserveSeconds: "LETHE_PURGE_WORK_RESERVE_SECONDS",
  purgeMaxObjectBytes: "LETHE_PURGE_MAX_OBJECT_BYTES",
  purgeMaxRequeues: "LETHE_PURGE_MAX_REQUEUES",
  ledgerRetentionDays: "LETHE_LEDGER_RETENTION_DAYS",
  // the erasure workflow's functions
  requestsTable: "LETHE_REQUESTS_TABLE",
  /** The audit trail (hashed IDs only) and the bucket its too-large details go to. */
  auditTable: "LETHE_AUDIT_TABLE",
  auditBucket: "LETHE_AUDIT_BUCKET",
  deadlineWarningDays: "LETHE_DEADLINE_WARNING_DAYS",
  /** Where each request's report (JSON; keyed hashes only) is written. */
  reportBucket: "LETHE_REPORT_BUCKET",
  /** The ECC_NIST_P256 KMS key each report is signed with (kms:Sign: the report and retention functions only). */
  reportSigningKeyArn: "LETHE_REPORT_SIGNING_KEY_ARN",
  /** The Pulumi stack and the program's git commit, as each report names them. */
  stackName: "LETHE_STACK",
  programVersion: "LETHE_PROGRAM_VERSION",
  /** The erasure state machine the batch function starts and the cancel function stops. */
  stateMachineArn: "LETHE_STATE_MACHINE_ARN",
  /** The request function's Powertools idempotency table. */
  idempotencyTable: "LETHE_IDEMPOTENCY_TABLE",
  /** Most subject IDs one batch collects. */
  batchMaxSubjects: "LETHE_BATCH_MAX_SUBJECTS",
  /** The filter builder the request function triggers after registering opt-outs. */
  filterBuilderFunction: "LETHE_FILTER_BUILDER_FUNCTION",
  // every function that reports, indexes or audits a subject: the stack's KMS HMAC key
  subjectHashKeyArn: "LETHE_SUBJECT_HASH_KEY_ARN",
  // every function that writes the requests, errors or audit tables
  erasureDeadlineDays: "LETHE_ERASURE_DEADLINE_DAYS",
  requestRetentionDays: "LETHE_REQUEST_RETENTION_DAYS",
  errorRetentionDays: "LETHE_ERROR_RETENTION_DAYS",
  auditRetentionDays: "LETHE_AUDIT_RETENTION_DAYS",
  failedRequestIdGraceDays: "LETHE_FAILED_REQUEST_ID_GRACE_DAYS",
  // the store functions (one per configured store)
  store: "LETHE_STORE",
  /** "true" lets a subsystem store call http:// on 127.0.0.1 or localhost: set by local runs only, never by the program. */
  subsystemAllowLoopbackHttp: "LETHE_SUBSYSTEM_ALLOW_LOOPBACK_HTTP",
  // find: Athena's workgroup, the Glue database of the manifest table, the lake bucket (manifests, plans)
  athenaWorkgroup: "LETHE_ATHENA_WORKGROUP",
  glueDatabase: "LETHE_GLUE_DATABASE",
  lakeBucket: "LETHE_LAKE_BUCKET",
  // the API function: the console functions behind its routes (Lambda names), and approval links
  requestFunction: "LETHE_REQUEST_FUNCTION",
  statusFunction: "LETHE_STATUS_FUNCTION",
  cancelFunction: "LETHE_CANCEL_FUNCTION",
  optInFunction: "LETHE_OPT_IN_FUNCTION",
  approvalFunction: "LETHE_APPROVAL_FUNCTION",
  /** The batch function, for the API's POST /batches/{id}/retry (`{"retry": ...}`). */
  batchFunction: "LETHE_BATCH_FUNCTION",
  /** The KMS HMAC key approval links are signed with (GenerateMac) and checked with (VerifyMac). */
  approvalLinkKeyArn: "LETHE_APPROVAL_LINK_KEY_ARN",
  /** Hours an approval link works (default 72). */
  approvalLinkTtlHours: "LETHE_APPROVAL_LINK_TTL_HOURS",
  /** The API's base URL (stage included), which approval links start with. */
  apiBaseUrl: "LETHE_API_BASE_URL",
  /**
   * The browser console's sign-in (docs/console.md): JSON {"domain", "clientId"} of the Cognito hosted
   * UI and app client; absent (iam) the console is served by `lethe api --local` only.
   */
  consoleSignIn: "LETHE_CONSOLE_SIGN_IN",
  /** The dead-letter queues whose depths the console's operations page shows: JSON {"<name>": "<queue URL>"}. */
  deadLetterQueues: "LETHE_DEAD_LETTER_QUEUES",
  /** `athena` (deployed, the default) or `embedded` (local stacks: DuckDB over local copies). */
  findEngine: "LETHE_FIND_ENGINE",
  /** The embedded engine's cache of object copies (default: a folder in the temp directory). */
  findCacheDir: "LETHE_FIND_CACHE_DIR",
} as const;

export function requiredEnv(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === "") throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function numberEnv(env: Env, name: string, min: number, max: number, fallback?: number): number {
  const raw = env[name];
  if ((raw === undefined || raw === "") && fallback !== undefined) return fallback;
  const n = Number(requiredEnv(env, name));
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(
      `environment variable ${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** A JSON object of strings (e.g. names to URLs); absent means none; anything else stops the cold start. */
export function stringMapEnv(env: Env, name: string): Record<string, string> {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(
      `environment variable ${name} must be a JSON object of strings, got ${JSON.stringify(raw)}`,
    );
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((v) => typeof v !== "string")
  )
    throw new Error(
      `environment variable ${name} must be a JSON object of strings, got ${JSON.stringify(raw)}`,
    );
  return parsed as Record<string, string>;
}
