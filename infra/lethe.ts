// Builds the whole Lethe stack from a validated configuration. infra/index.ts reads the config and
// exports what this returns; tests call it directly under Pulumi mocks with other settings.
import * as pulumi from "@pulumi/pulumi";
import { filterFalsePositiveRate, LetheConfig } from "./config";
import { letheTags } from "./components/tags";
import { DataLake } from "./lake/dataLake";
import { IngestStream } from "./lake/ingestStream";
import { ErasureTables } from "./erasure/erasureTables";
import { PurgeQueues } from "./erasure/purgeQueues";
import { Alerts } from "./alerts";
import { IngestGuard } from "./lake/ingestGuard";
import { SubjectHashKey } from "./components/subjectHashKey";
import { ReportSigningKey } from "./components/reportSigningKey";
import { programVersion } from "./programVersion";
import { SecureBucket } from "./components/secureBucket";
import { erasureEnvironment, erasureSettingsFromConfig } from "../runtime/erasure/settings";
import { envNames } from "../runtime/contracts/env";
import type { StackOutputs } from "../runtime/contracts/stack";

/** The stack outputs, as the program builds them (runtime/contracts/stack.ts names their values). */
export type LetheOutputs = { [K in keyof StackOutputs]: pulumi.Output<StackOutputs[K]> };
import { StoreFunctions } from "./erasure/stores";

import { resolveDataMappers } from "./erasure/dataMappers";
import { MetastoreIndexer, NotificationTarget } from "./erasure/metastoreIndexer";
import { FindTask } from "./erasure/findTask";
import { eventsTable, manifestRoot } from "../runtime/contracts/lakeSchema";
import { parseS3Location } from "../runtime/contracts/mappers";
import { DataMapper } from "../runtime/contracts/mappers";
import { PurgeWorkers } from "./erasure/purgeWorkers";
import { consoleFunctionNames, ErasureApi, signApprovalLinks } from "./api/erasureApi";
import { longestTaskSeconds, WorkflowFunctions } from "./erasure/workflowFunctions";
import { OperatorFunctions } from "./erasure/operatorFunctions";
import { ErasureWorkflow } from "./erasure/workflow";
import { OperationsDashboard } from "./dashboard";
import { LetheFunction } from "./components/letheFunction";
import { RetentionFunction } from "./erasure/retentionFunction";
import { deadlineMetrics, deadlineServiceName } from "../runtime/handlers/deadline";
import {
  functionOutputs,
  LetheFunctionKey,
  letheFunctions,
  taskFunctions,
} from "../runtime/contracts/functions";
import type { WorkflowSettings } from "../runtime/contracts/stack";
import * as aws from "@pulumi/aws";

export interface LetheStack {
  lake: DataLake;
  ingest: IngestStream;
  tables: ErasureTables;
  queues: PurgeQueues;
  alerts: Alerts;
  guard: IngestGuard;
  subjectHashKey: SubjectHashKey;
  /** Signs each report (ECDSA P-256); only the report function may use it. */
  reportSigningKey: ReportSigningKey;
  /** Audit details too large for a DynamoDB item; objects expire with the audit records. */
  auditBucket: SecureBucket;
  /** The environment every function that writes the requests, errors or audit tables gets. */
  erasureEnvironment: Record<string, pulumi.Input<string>>;
  stores: StoreFunctions;
  indexer: MetastoreIndexer;
  find: FindTask;
  /** The data mappers with Lethe's own table filled in: what the find, indexer and purge functions get. */
  dataMappers: pulumi.Output<DataMapper[]>;
  workers: PurgeWorkers;
  /** The HTTP API; its linkEnvironment goes to the function that sends approval notifications. */
  api: ErasureApi;
  /** Where each request's report (keyed hashes only) goes; expires after reportRetentionDays. */
  reportBucket: SecureBucket;
  /** The state machine's task functions besides find. */
  tasks: WorkflowFunctions;
  workflow: ErasureWorkflow;
  /** request, batch, status, approval, cancel, deadline (with the batch and deadline schedules). */
  operators: OperatorFunctions;
  dashboard: OperationsDashboard;
  /** What `pulumi up` prints and a reviewer reads. */
  outputs: LetheOutputs;
}

export function createLethe(config: LetheConfig, stack = pulumi.getStack()): LetheStack {
  const tags = letheTags(stack);
  const lake = new DataLake("lethe-lake", {
    tags,
    noncurrentVersionExpirationDays: config.noncurrentVersionExpirationDays,
    ingestErrorRetentionDays: config.ingestErrorRetentionDays,
    athenaBytesScannedCutoff: config.athenaBytesScannedCutoff,
    athenaResultsRetentionDays: config.athenaResultsRetentionDays,
    manifestRetentionDays: config.manifestRetentionDays,
    manageGlueCatalogEncryption: config.manageGlueCatalogEncryption,
  });
  const subjectHashKey = new SubjectHashKey("lethe-subject-hash", { tags });
  const auditBucket = new SecureBucket("lethe-audit", {
    kmsKeyArn: lake.kmsKeyArn,
    noncurrentVersionExpirationDays: 1,
    expirationDays: config.auditRetentionDays,
    tags,
  });
  const erasureSettings = erasureSettingsFromConfig(config);
  const erasureFunctionEnvironment: Record<string, pulumi.Input<string>> = {
    ...erasureEnvironment(erasureSettings),
    [envNames.subjectHashKeyArn]: subjectHashKey.arn,
  };
  const dataMappers = resolveDataMappers(config.dataMappers, {
    database: lake.database.name,
    eventsLocation: lake.eventsLocation,
    lakeBucket: lake.lake.bucketName,
  });
  const tables = new ErasureTables("lethe-tables", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    deletionProtection: config.deletionProtection,
  });
  const guard = new IngestGuard("lethe-guard", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    subjectHashKeyArn: subjectHashKey.arn,
    lakeBucketName: lake.lake.bucketName,
    lakeBucketArn: lake.lake.arn,
    optOutTableName: tables.tables.optOut.name,
    optOutTableArn: tables.tables.optOut.arn,
    falsePositiveRate: filterFalsePositiveRate(config),
    buildSchedule: config.ingestFilterBuildSchedule,
    refreshSeconds: config.ingestFilterRefreshSeconds,
    maxStalenessSeconds: config.ingestFilterMaxStalenessSeconds,
    cacheTtlSeconds: config.ingestConfirmCacheTtlSeconds,
    cacheMaxEntries: config.ingestConfirmCacheMaxEntries,
    logRetentionDays: config.logRetentionDays,
  });
  const ingest = new IngestStream("lethe-ingest", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    bucketArn: lake.lake.arn,
    databaseName: lake.database.name,
    tableName: lake.table.name,
    bufferingIntervalSeconds: config.firehoseBufferingIntervalSeconds,
    bufferingSizeMb: config.firehoseBufferingSizeMb,
    logRetentionDays: config.logRetentionDays,
    processor: {
      lambdaArn: guard.transformer.arn,
      bufferingIntervalSeconds: config.ingestProcessorBufferingIntervalSeconds,
      bufferingSizeMb: config.ingestProcessorBufferingSizeMb,
    },
  });
  // Notifications per bucket, from the settings (known before deployment): the events table is in the lake bucket.
  const notifications: Record<string, NotificationTarget> = {};
  for (const m of config.dataMappers) {
    const at = m.location ? parseS3Location(m.location) : undefined;
    const label = at ? at.bucket.replace(/[^a-z0-9-]/g, "-") : "lake";
    const target = (notifications[label] ??= { bucket: at ? at.bucket : lake.lake.bucketName, prefixes: [] });
    target.prefixes.push(at ? at.prefix : eventsTable.prefix);
  }
  const indexer = new MetastoreIndexer("lethe-index", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    indexTableName: tables.tables.index.name,
    indexTableArn: tables.tables.index.arn,
    subjectHashKeyArn: subjectHashKey.arn,
    dataMappers,
    notifications,
  });
  const find = new FindTask("lethe-find", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    dataMappers,
    lakeBucketName: lake.lake.bucketName,
    resultsBucketName: lake.results.bucketName,
    workgroupName: lake.workgroup.name,
    glueDatabaseName: lake.database.name,
    indexTableName: tables.tables.index.name,
    indexTableArn: tables.tables.index.arn,
    subjectHashKeyArn: subjectHashKey.arn,
    batchTables: {
      requests: tables.tables.requests,
      ledger: tables.tables.ledger,
      audit: tables.tables.audit,
    },
    auditBucketName: auditBucket.bucketName,
  });
  const queues = new PurgeQueues("lethe-purge", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    maxReceiveCount: config.purgeQueueMaxReceiveCount,
    visibilityTimeoutSeconds: config.purgeQueueVisibilityTimeoutSeconds,
  });
  const alerts = new Alerts("lethe-alerts", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    alertEmail: config.alertEmail,
    deadLetterQueues: {
      purge: queues.deadLetterQueue.name,
      indexer: indexer.indexer.deadLetterQueue.name,
      find: find.find.deadLetterQueue.name,
      ...guard.deadLetterQueueNames,
    },
    metrics: guard.alarmedMetrics,
  });
  const workers = new PurgeWorkers("lethe-forget", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    dataMappers,
    manifestLocation: pulumi.interpolate`s3://${lake.lake.bucketName}/${manifestRoot}`,
    tables: {
      locks: tables.tables.locks,
      ledger: tables.tables.ledger,
      index: tables.tables.index,
      errors: tables.tables.errors,
    },
    purgeQueue: queues.queue,
    purgeDeadLetterQueue: queues.deadLetterQueue,
    alertTopicArn: alerts.topic.arn,
    memorySizeMb: config.purgeFunctionMemoryMb,
    timeoutSeconds: config.purgeFunctionTimeoutSeconds,
    reservedConcurrency: config.purgeFunctionReservedConcurrency,
    batchSize: config.purgeBatchSize,
    ledgerRetentionDays: config.requestRetentionDays,
    errorRetentionDays: config.errorRetentionDays,
    subjectHashKeyArn: subjectHashKey.arn,
  });
  alerts.watchDeadLetterQueues(workers.deadLetterQueueNames);

  const stores = new StoreFunctions("lethe-stores", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    stores: config.stores,
    manifestBucketArn: lake.lake.arn,
    manifestPrefix: manifestRoot,
    alertTopicArn: alerts.topic.arn,
    ledgerTable: tables.tables.ledger,
    logRetentionDays: config.logRetentionDays,
    subsystemLoopbackHttp: config.subsystemLoopbackHttp,
  });

  const reportSigningKey = new ReportSigningKey("lethe-report-signing", { tags });
  const reportBucket = new SecureBucket("lethe-reports", {
    kmsKeyArn: lake.kmsKeyArn,
    noncurrentVersionExpirationDays: 1,
    expirationDays: config.reportRetentionDays,
    tags,
  });
  const [shownDeadLetterQueues, resolveShownDeadLetterQueues] =
    pulumi.deferredOutput<Record<string, { url: string; arn: string }>>();
  const api = new ErasureApi("lethe-api", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    requestsTableName: tables.tables.requests.name,
    requestsTableArn: tables.tables.requests.arn,
    ledgerTableName: tables.tables.ledger.name,
    ledgerTableArn: tables.tables.ledger.arn,
    errorsTableName: tables.tables.errors.name,
    errorsTableArn: tables.tables.errors.arn,
    functionNames: consoleFunctionNames(stack),
    authorizer: config.apiAuthorizer as "iam" | "cognito",
    cognitoUserPoolArn: config.apiCognitoUserPoolArn || undefined,
    ...(config.apiConsoleCognitoDomain
      ? {
          consoleSignIn: {
            domain: config.apiConsoleCognitoDomain,
            clientId: config.apiConsoleCognitoClientId,
          },
        }
      : {}),
    reportBucketName: reportBucket.bucketName,
    reportBucketArn: reportBucket.arn,
    reportSigningKeyArn: reportSigningKey.arn,
    // The DLQs the dashboard shows (the stores' aside), by its names: most are declared below (their
    // functions need the API's URL or come after it): a deferred output, resolved there.
    deadLetterQueues: shownDeadLetterQueues,
    throttle: { rateLimit: config.apiThrottleRateLimit, burstLimit: config.apiThrottleBurstLimit },
    waf: config.apiWaf,
    approvalLinkTtlHours: config.approvalLinkTtlHours,
  });

  const tableRef = (t: aws.dynamodb.Table) => ({ name: t.name, arn: t.arn });
  const tasks = new WorkflowFunctions("lethe-tasks", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    erasureEnvironment: erasureFunctionEnvironment,
    tables: {
      requests: tableRef(tables.tables.requests),
      ledger: tableRef(tables.tables.ledger),
      audit: tableRef(tables.tables.audit),
      idempotency: tableRef(tables.tables.idempotency),
    },
    lakeBucketName: lake.lake.bucketName,
    auditBucketName: auditBucket.bucketName,
    reportBucketName: reportBucket.bucketName,
    reportSigning: {
      keyArn: reportSigningKey.arn,
      stack: pulumi.getStack(),
      programVersion: programVersion(),
    },
    purgeQueue: queues.queue,
    alertTopicArn: alerts.topic.arn,
    subjectHashKeyArn: subjectHashKey.arn,
    find: { statements: find.statements, environment: find.environment },
    approvalLinks: {
      environment: api.linkEnvironment,
      statements: api.linkKey.arn.apply((k) => [signApprovalLinks(k)]),
    },
  });
  const workflowSettings: WorkflowSettings = {
    approvalRequired: config.approvalRequired,
    drainSeconds: config.drainSeconds,
    ledgerPollSeconds: config.ledgerPollSeconds,
    maxVerifyRounds: config.maxVerifyRounds,
    approvalTimeoutSeconds: config.approvalTimeoutHours * 3600,
    taskTimeoutSeconds: longestTaskSeconds,
    batchMaxSubjects: config.batchMaxSubjects,
    deadlineWarningDays: config.deadlineWarningDays,
  };
  const t = tasks.functions;
  const workflow = new ErasureWorkflow("lethe-workflow", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    // The function behind each task, as the table of functions maps them.
    functionArns: Object.fromEntries(
      Object.entries(taskFunctions).map(([task, key]) => [task, { find: find.find, ...t }[key].arn]),
    ) as Record<keyof typeof taskFunctions, pulumi.Output<string>>,
    approvalRequired: workflowSettings.approvalRequired,
    drainSeconds: workflowSettings.drainSeconds,
    ledgerPollSeconds: workflowSettings.ledgerPollSeconds,
    maxVerifyRounds: workflowSettings.maxVerifyRounds,
    approvalTimeoutSeconds: workflowSettings.approvalTimeoutSeconds,
    taskTimeoutSeconds: workflowSettings.taskTimeoutSeconds,
    stores: config.stores.map((st) => ({
      name: st.name,
      kind: st.kind,
      functionArn: stores.functions[st.name].arn,
    })),
  });
  const operators = new OperatorFunctions("lethe-operations", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    // The request function audits; details too large for an item go to the audit bucket.
    erasureEnvironment: { ...erasureFunctionEnvironment, [envNames.auditBucket]: auditBucket.bucketName },
    tables: {
      requests: tableRef(tables.tables.requests),
      ledger: tableRef(tables.tables.ledger),
      audit: tableRef(tables.tables.audit),
      optOut: tableRef(tables.tables.optOut),
      idempotency: tableRef(tables.tables.idempotency),
    },
    lakeBucketName: lake.lake.bucketName,
    auditBucketName: auditBucket.bucketName,
    reportBucketName: reportBucket.bucketName,
    alertTopicArn: alerts.topic.arn,
    subjectHashKeyArn: subjectHashKey.arn,
    filterBuilder: { name: guard.builder.function.name, arn: guard.builder.arn },
    stateMachineArn: workflow.stateMachine.arn,
    batchSchedule: config.batchSchedule,
    batchMaxSubjects: config.batchMaxSubjects,
    deadlineSchedule: config.deadlineSchedule,
    deadlineWarningDays: config.deadlineWarningDays,
  });
  const o = operators.functions;
  alerts.watchDeadLetterQueues({
    ...tasks.deadLetterQueueNames,
    ...operators.deadLetterQueueNames,
    "api-function": api.api.deadLetterQueue.name,
  });
  alerts.watchMetrics({
    "requests-due-soon": {
      description: `Lethe: an erasure request is due within ${config.deadlineWarningDays} day(s); see lethe status and the deadline alert`,
      namespace: "Lethe",
      metricName: deadlineMetrics.dueSoon,
      dimensions: { service: deadlineServiceName },
    },
    "requests-overdue": {
      description:
        "Lethe: an erasure request is past its legal deadline; see lethe status and the deadline alert",
      namespace: "Lethe",
      metricName: deadlineMetrics.overdue,
      dimensions: { service: deadlineServiceName },
    },
  });
  // Only a stack whose data mappers declare retention has the retention function and its schedule.
  const retention = config.dataMappers.some((m) => m.retention)
    ? new RetentionFunction("lethe-retention", {
        tags,
        kmsKeyArn: lake.kmsKeyArn,
        logRetentionDays: config.logRetentionDays,
        dataMappers,
        tables: { locks: tables.tables.locks, ledger: tables.tables.ledger },
        ledgerRetentionDays: config.requestRetentionDays,
        reportBucketName: reportBucket.bucketName,
        reportSigningKeyArn: reportSigningKey.arn,
        schedule: config.retentionSchedule,
      })
    : undefined;
  // Every function of the stack, by its short name: errors alarmed and on the dashboard.
  // Every function of the table (runtime/contracts/functions.ts), by its key there: the compiler
  // checks the program builds each one.
  const built: Record<LetheFunctionKey, LetheFunction> = {
    filterBuilder: guard.builder,
    ingestGuard: guard.transformer,
    indexer: indexer.indexer,
    find: find.find,
    purge: workers.purge,
    purgeErrors: workers.errors,
    ...t,
    request: o.request,
    batch: o.batch,
    status: o.status,
    approval: o.approval,
    cancel: o.cancel,
    optIn: o["opt-in"],
    deadline: o.deadline,
    api: api.api,
  };
  const declaredFunctions = <T>(pick: (f: LetheFunction) => T): Record<LetheFunctionKey, T> =>
    Object.fromEntries(Object.entries(built).map(([k, f]) => [k, pick(f)])) as Record<LetheFunctionKey, T>;
  const everyFunction: Record<string, LetheFunction> = {
    ...Object.fromEntries(
      Object.entries(built).map(([k, f]) => [letheFunctions[k as LetheFunctionKey].shortName, f]),
    ),
    ...Object.fromEntries(Object.entries(stores.functions).map(([k, f]) => [`store-${k}`, f])),
    // Outside the table, as the store functions are: only a stack whose mappers declare retention has it.
    ...(retention ? { retention: retention.retention } : {}),
  };
  const functionNames = Object.fromEntries(
    Object.entries(everyFunction).map(([k, f]) => [k, f.function.name]),
  );
  alerts.watchFunctionErrors(functionNames);
  const deadLetterQueues: Record<string, aws.sqs.Queue> = {
    "purge-queue": queues.deadLetterQueue,
    ...Object.fromEntries(
      Object.entries(everyFunction).map(([k, f]) => [`${k}-function`, f.deadLetterQueue]),
    ),
  };
  // The stores' DLQs stay on the dashboard only: one per configured store, their URLs would grow the
  // API function's environment past Lambda's 4 KB; the others are a fixed set (about 2.3 KB of URLs).
  const storeDeadLetterQueues = new Set(Object.keys(stores.functions).map((k) => `store-${k}-function`));
  resolveShownDeadLetterQueues(
    pulumi.output(
      Object.fromEntries(
        Object.entries(deadLetterQueues)
          .filter(([k]) => !storeDeadLetterQueues.has(k))
          .map(([k, q]) => [k, { url: q.url, arn: q.arn }]),
      ),
    ),
  );
  const dashboard = new OperationsDashboard("lethe-operations-view", {
    region: aws.getRegionOutput().region,
    deadLetterQueues: Object.fromEntries(Object.entries(deadLetterQueues).map(([k, q]) => [k, q.name])),
    functions: functionNames,
    stateMachineArn: workflow.stateMachine.arn,
  });

  const outputs: LetheOutputs = {
    // Each function of the table names its own output.
    ...functionOutputs(declaredFunctions((o) => o.function.name)),
    kmsKeyArn: lake.kmsKeyArn,
    subjectHashKeyArn: subjectHashKey.arn,
    lakeBucket: lake.lake.bucketName,
    auditBucket: auditBucket.bucketName,
    athenaResultsBucket: lake.results.bucketName,
    glueDatabase: lake.database.name,
    glueTable: lake.table.name,
    manifestTable: lake.manifestTable.name,
    dataMappers,
    athenaWorkgroup: lake.workgroup.name,
    ingestStream: ingest.streamName,
    requestsTable: tables.tables.requests.name,
    indexTable: tables.tables.index.name,
    optOutTable: tables.tables.optOut.name,
    locksTable: tables.tables.locks.name,
    errorsTable: tables.tables.errors.name,
    auditTable: tables.tables.audit.name,
    ledgerTable: tables.tables.ledger.name,
    purgeQueueUrl: queues.queue.url,
    purgeDeadLetterQueueUrl: queues.deadLetterQueue.url,
    alertTopicArn: alerts.topic.arn,
    erasureDeadlineDays: pulumi.output(config.erasureDeadlineDays),
    erasureSettings: pulumi.output(erasureSettings),
    apiUrl: api.url,
    approvalLinkKeyArn: api.linkKey.arn,
    apiThrottle: pulumi.output({
      rateLimit: config.apiThrottleRateLimit,
      burstLimit: config.apiThrottleBurstLimit,
    }),
    storeFunctions: pulumi.output(
      Object.fromEntries(Object.entries(stores.functions).map(([k, f]) => [k, f.function.name])),
    ),
    reportBucket: reportBucket.bucketName,
    reportSigningKeyArn: reportSigningKey.arn,
    reportSigningPublicKey: reportSigningKey.publicKeyPem,
    idempotencyTable: tables.tables.idempotency.name,
    stateMachineArn: workflow.stateMachine.arn,
    operationsDashboard: dashboard.dashboard.dashboardName,
    approvalRequired: pulumi.output(config.approvalRequired),
    workflowSettings: pulumi.output(workflowSettings),
  };
  return {
    lake,
    ingest,
    tables,
    queues,
    alerts,
    guard,
    subjectHashKey,
    reportSigningKey,
    auditBucket,
    stores,
    indexer,
    find,
    workers,
    api,
    reportBucket,
    tasks,
    workflow,
    operators,
    dashboard,
    dataMappers,
    erasureEnvironment: erasureFunctionEnvironment,
    outputs,
  };
}
