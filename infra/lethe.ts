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
import { resolveDataMappers } from "./erasure/dataMappers";
import { DataMapper } from "../runtime/contracts/mappers";

export interface LetheStack {
  lake: DataLake;
  ingest: IngestStream;
  tables: ErasureTables;
  queues: PurgeQueues;
  alerts: Alerts;
  guard: IngestGuard;
  /** The data mappers with Lethe's own table filled in: what the find, indexer and purge functions get. */
  dataMappers: pulumi.Output<DataMapper[]>;
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
    manifestRetentionDays: config.manifestRetentionDays,
    manageGlueCatalogEncryption: config.manageGlueCatalogEncryption,
  });
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

  const outputs: Record<string, pulumi.Output<unknown>> = {
    kmsKeyArn: lake.kmsKeyArn,
    lakeBucket: lake.lake.bucketName,
    athenaResultsBucket: lake.results.bucketName,
    glueDatabase: lake.database.name,
    glueTable: lake.table.name,
    manifestTable: lake.manifestTable.name,
    dataMappers: dataMappers.apply((m) => m.map(({ name, location }) => ({ name, location }))),
    athenaWorkgroup: lake.workgroup.name,
    ingestStream: ingest.streamName,
    requestsTable: tables.tables.requests.name,
    indexTable: tables.tables.index.name,
    optOutTable: tables.tables.optOut.name,
    locksTable: tables.tables.locks.name,
    errorsTable: tables.tables.errors.name,
    auditTable: tables.tables.audit.name,
    purgeQueueUrl: queues.queue.url,
    purgeDeadLetterQueueUrl: queues.deadLetterQueue.url,
    alertTopicArn: alerts.topic.arn,
    filterBuilderFunction: guard.builder.function.name,
    ingestGuardFunction: guard.transformer.function.name,
    erasureDeadlineDays: pulumi.output(config.erasureDeadlineDays),
  };
  return { lake, ingest, tables, queues, alerts, guard, dataMappers, outputs };
}
