// The resources of one Lethe stack that the runtime and its tools work with, by name: what the
// program's outputs (`pulumi stack output --json`, or a local stack's outputs file) tell a caller.
import type { DataMapper } from "./mappers";
import type { FunctionOutputKey } from "./functions";

/** The erasure settings (days), from the stack config, that the workflow functions obey. */
export interface ErasureSettings {
  /** Days from receipt to verified completion (GDPR: one month). */
  deadlineDays: number;
  /** Days a finished request is kept before DynamoDB TTL removes it. */
  requestRetentionDays: number;
  /** Days an error record awaiting manual adjudication is kept. */
  errorRetentionDays: number;
  /** Days an audit record (hashed identifiers only) is kept. */
  auditRetentionDays: number;
  /** Days past its deadline a failed request keeps its raw IDs (for a retry) before they are dropped. */
  failedRequestIdGraceDays: number;
}

/** The erasure workflow's settings, from the stack config: what the state machine's definition is built from. */
export interface WorkflowSettings {
  /** Each batch waits for a human's decision on its plan before anything is purged. */
  approvalRequired: boolean;
  /** The Drain wait (records in flight at intake land before verify). */
  drainSeconds: number;
  /** Pause between two polls of a batch's ledger. */
  ledgerPollSeconds: number;
  /** Verify rounds that may send new hits back to forget. */
  maxVerifyRounds: number;
  /** The approval task token's timeout. */
  approvalTimeoutSeconds: number;
  /** How long one task may run (the longest task function's timeout). */
  taskTimeoutSeconds: number;
  /** Most subject IDs one batch collects. */
  batchMaxSubjects: number;
  /** Days before a deadline the deadline function alerts. */
  deadlineWarningDays: number;
}

/**
 * The program's stack outputs (infra/index.ts exports exactly these): each function's name under the
 * output the table of functions gives it (runtime/contracts/functions.ts), and these.
 */
export interface StackOutputs extends Record<FunctionOutputKey, string> {
  kmsKeyArn: string;
  /** The KMS HMAC key subject hashes are keyed with (GenerateMac only; its material never leaves KMS). */
  subjectHashKeyArn: string;
  lakeBucket: string;
  /** Where audit details too large for a DynamoDB item go. */
  auditBucket: string;
  athenaResultsBucket: string;
  glueDatabase: string;
  glueTable: string;
  /** The Glue table over batch manifests (Athena joins it). */
  manifestTable: string;
  /** The data mappers with Lethe's own events table filled in. */
  dataMappers: DataMapper[];
  athenaWorkgroup: string;
  ingestStream: string;
  requestsTable: string;
  indexTable: string;
  optOutTable: string;
  locksTable: string;
  errorsTable: string;
  auditTable: string;
  ledgerTable: string;
  purgeQueueUrl: string;
  purgeDeadLetterQueueUrl: string;
  alertTopicArn: string;
  erasureDeadlineDays: number;
  /** The erasure settings every workflow function gets (deadline, retentions, grace). */
  erasureSettings: ErasureSettings;
  /** Each configured store's function, by store name. */
  storeFunctions: Record<string, string>;
  /** The HTTP API's base URL (stage included). */
  apiUrl: string;
  /** The KMS HMAC key approval links are signed with. */
  approvalLinkKeyArn: string;
  /** The API stage's throttling (the local API server applies the same). */
  apiThrottle: { rateLimit: number; burstLimit: number };
  /** Where each request's report (JSON, keyed hashes only) is written: reports/request_id=<id>/report.json. */
  reportBucket: string;
  /** The KMS key (ECC_NIST_P256, SIGN_VERIFY) each report is signed with: kms:Sign for the report and retention functions only. */
  reportSigningKeyArn: string;
  /** Its public key (PEM): `lethe report verify --public-key` and openssl check reports with it (docs/report.md). */
  reportSigningPublicKey: string;
  /** The request function's Powertools idempotency table. */
  idempotencyTable: string;
  /** The erasure state machine (one execution per batch, named by the batch id). */
  stateMachineArn: string;
  /** The operators' CloudWatch dashboard. */
  operationsDashboard: string;
  approvalRequired: boolean;
  workflowSettings: WorkflowSettings;
}

/**
 * A stack provisioned into an emulator by `lethe up --local`: the outputs file. The program's outputs
 * with their local values, plus where the emulator is and how mocked identifiers map to local ones.
 */
export interface LocalStack extends StackOutputs {
  /** The emulator's endpoint (AWS_ENDPOINT_URL for the clients). */
  endpoint: string;
  local: true;
  /** The Pulumi stack whose declarations were provisioned. */
  stack: string;
  /** The program's project directory or entry module, when not this project (`lethe up --local --program`). */
  program?: string;
  /**
   * Every identifier the program under mocks gives a resource (ARN, URL, key id) that differs in the
   * emulator, mapped to its local value: rewrite a function's mocked environment with it.
   */
  localResources: Record<string, string>;
  /**
   * The state machine's definition as the program declares it, with mocked identifiers made local:
   * what the local runner executes (the very JSON `pulumi up` deploys).
   */
  stateMachineDefinition?: Record<string, unknown>;
  /** The Lambda event source mappings the program declares, which local mode runs in process. */
  eventSources?: LocalEventSource[];
  /** The EventBridge schedules the program declares, each invoking a function (a warm stack fires them). */
  schedules?: LocalSchedule[];
  /** The S3 notifications to functions the program declares (a warm stack delivers them). */
  bucketNotifications?: LocalBucketNotification[];
  /** The warm local stack serving this stack's functions and state machine (`lethe up --local`), while it runs. */
  warm?: WarmStackEndpoints;
}

/** One declared schedule: an EventBridge rule's expression and the function it invokes. */
export interface LocalSchedule {
  /** The rule's logical name in the program. */
  rule: string;
  /** `rate(...)` or `cron(...)`. */
  expression: string;
  functionName: string;
}

/** One declared S3 notification to a function: a bucket, a key prefix, the events, the function. */
export interface LocalBucketNotification {
  bucket: string;
  prefix: string;
  events: string[];
  functionName: string;
}

/** Where a warm local stack serves: Lambda Invoke and Step Functions on loopback. */
export interface WarmStackEndpoints {
  lambdaEndpoint: string;
  stepFunctionsEndpoint: string;
  /** The process serving them. */
  pid: number;
}

/** One declared SQS event source mapping: a queue, the function it invokes, messages per invocation. */
export interface LocalEventSource {
  /** The queue's name (its URL's last segment). */
  queueName: string;
  /** The function as the program names it (a mocked ARN: Lambda is not emulated). */
  functionName: string;
  batchSize: number;
}

/** An object of a sample lake and what it holds (for the demo and tests to check against). */
export interface SampleObject {
  key: string;
  rows: number;
  /** Rows per customer in this object. */
  rowsByCustomer: Map<string, number>;
}
