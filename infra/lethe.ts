// Builds the whole Lethe stack from a validated configuration. infra/index.ts reads the config and
// exports what this returns; tests call it directly under Pulumi mocks with other settings.
import * as pulumi from "@pulumi/pulumi";
import { LetheConfig } from "./config";
import { letheTags } from "./components/tags";
import { DataLake } from "./lake/dataLake";
import { IngestStream } from "./lake/ingestStream";
import { ErasureTables } from "./erasure/erasureTables";
import { PurgeQueues } from "./erasure/purgeQueues";
import { Alerts } from "./alerts";
import { IngestGuard } from "./lake/ingestGuard";
import { PurgeWorkers } from "./erasure/purgeWorkers";
import { eventsTable } from "../runtime/contracts/lakeSchema";
import type { DataMapper } from "../runtime/contracts/mappers";
import { manifestPrefix } from "../runtime/contracts/messages";

export interface LetheStack {
  lake: DataLake;
  ingest: IngestStream;
  tables: ErasureTables;
  queues: PurgeQueues;
  alerts: Alerts;
  guard: IngestGuard;
  workers: PurgeWorkers;
  /** What `pulumi up` prints and a reviewer reads. */
  outputs: Record<string, pulumi.Output<unknown>>;
}

export function createLethe(config: LetheConfig, stack = pulumi.getStack()): LetheStack {
  const tags = letheTags(stack);
  const lake = new DataLake("lethe-lake", {
    tags,
    noncurrentVersionExpirationDays: config.noncurrentVersionExpirationDays,
    ingestErrorRetentionDays: config.ingestErrorRetentionDays,
    athenaBytesScannedCutoff: config.athenaBytesScannedCutoff,
    athenaResultsRetentionDays: config.athenaResultsRetentionDays,
    manageGlueCatalogEncryption: config.manageGlueCatalogEncryption,
  });
  const tables = new ErasureTables("lethe-tables", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    deletionProtection: config.deletionProtection,
  });
  const guard = new IngestGuard("lethe-guard", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    lakeBucketName: lake.lake.bucketName,
    lakeBucketArn: lake.lake.arn,
    optOutTableName: tables.tables.optOut.name,
    optOutTableArn: tables.tables.optOut.arn,
    falsePositiveRate: config.ingestFilterFalsePositivesPerMillion / 1_000_000,
    buildSchedule: config.ingestFilterBuildSchedule,
    refreshSeconds: config.ingestFilterRefreshSeconds,
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
    deadLetterQueues: { purge: queues.deadLetterQueue.name, ...guard.deadLetterQueueNames },
  });
  // The configured data mappers (lethe:dataMappers) when the program has them, else the events table.
  const configured = (config as Partial<{ dataMappers: DataMapper[] }>).dataMappers;
  const dataMappers: pulumi.Input<DataMapper[]> = configured?.length
    ? configured
    : pulumi.all([lake.lake.bucketName, lake.database.name, lake.table.name]).apply(([bucket, db, table]) => [
        {
          name: eventsTable.name,
          glueDatabase: db,
          glueTable: table,
          location: `s3://${bucket}/${eventsTable.prefix}`,
          idColumns: [eventsTable.idColumn],
          format: "parquet" as const,
          partitionColumns: [eventsTable.partitionKey],
        },
      ]);
  const workers = new PurgeWorkers("lethe-forget", {
    tags,
    kmsKeyArn: lake.kmsKeyArn,
    logRetentionDays: config.logRetentionDays,
    dataMappers,
    manifestLocation: pulumi.interpolate`s3://${lake.lake.bucketName}/${manifestPrefix}`,
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
  });
  alerts.watchDeadLetterQueues(workers.deadLetterQueueNames);

  const outputs: Record<string, pulumi.Output<unknown>> = {
    kmsKeyArn: lake.kmsKeyArn,
    lakeBucket: lake.lake.bucketName,
    athenaResultsBucket: lake.results.bucketName,
    glueDatabase: lake.database.name,
    glueTable: lake.table.name,
    athenaWorkgroup: lake.workgroup.name,
    ingestStream: ingest.streamName,
    requestsTable: tables.tables.requests.name,
    indexTable: tables.tables.index.name,
    optOutTable: tables.tables.optOut.name,
    locksTable: tables.tables.locks.name,
    errorsTable: tables.tables.errors.name,
    ledgerTable: tables.tables.ledger.name,
    auditTable: tables.tables.audit.name,
    purgeQueueUrl: queues.queue.url,
    purgeDeadLetterQueueUrl: queues.deadLetterQueue.url,
    alertTopicArn: alerts.topic.arn,
    filterBuilderFunction: guard.builder.function.name,
    ingestGuardFunction: guard.transformer.function.name,
    purgeFunction: workers.purge.function.name,
    errorsFunction: workers.errors.function.name,
    erasureDeadlineDays: pulumi.output(config.erasureDeadlineDays),
  };
  return { lake, ingest, tables, queues, alerts, guard, workers, outputs };
}
