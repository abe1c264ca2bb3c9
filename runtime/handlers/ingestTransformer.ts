// Firehose record-transformation Lambda (the ingest guard). Thin: settings from the environment,
// clients from runtime/aws/clients.ts, the decision in runtime/ingest/recordGuard.ts. Deployed as a
// magic Lambda: `createIngestTransformerHandler` is its callbackFactory and runs once per cold start,
// so the filter, the cache and the clients live in its closure across invocations.
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { makeDocumentClient, makeS3Client } from "../aws/clients";
import { OptOutRegistry } from "../ingest/optOutRegistry";
import { RefreshingFilterSource } from "../ingest/filterSource";
import { FirehoseRecord, RecordGuard, TransformedRecord } from "../ingest/recordGuard";
import { Env, envNames, numberEnv, requiredEnv } from "../contracts/env";
import { filterLocationFromEnv } from "../ingest/settings";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export interface FirehoseTransformationEvent {
  invocationId: string;
  deliveryStreamArn: string;
  region: string;
  records: FirehoseRecord[];
}

export interface FirehoseTransformationResponse {
  records: TransformedRecord[];
}

export const transformerServiceName = letheFunctions.ingestGuard.serviceName;
/** Metric (namespace Lethe, dimension service) that is 1 while the guard trusts no filter for staleness. */
export const filterStaleMetric = "FilterStale";

/** Builds the guard from the environment: clients, registry, refreshing filter source, cache. */
export function recordGuardFromEnv(env: Env, logger: Logger): RecordGuard {
  const registry = new OptOutRegistry(makeDocumentClient(), requiredEnv(env, envNames.optOutTable));
  const refreshMs = numberEnv(env, envNames.refreshSeconds, 0, 86400, 60) * 1000;
  const filters = new RefreshingFilterSource(
    makeS3Client(),
    filterLocationFromEnv(env),
    { refreshMs, maxStalenessMs: numberEnv(env, envNames.maxStalenessSeconds, 0, 86400, 300) * 1000 },
    (e) => (e.kind === "loaded" ? logger.info("opt-out filter loaded", e) : logger.warn("opt-out filter", e)),
  );
  return new RecordGuard({
    filters,
    registry,
    cacheTtlMs: numberEnv(env, envNames.cacheTtlSeconds, 1, 86400, 300) * 1000,
    negativeCacheTtlMs: refreshMs,
    cacheMaxEntries: numberEnv(env, envNames.cacheMaxEntries, 1, 10_000_000, 100_000),
  });
}

/** The handler; `guard` is for running it in-process against another registry (bench/ingest.ts). */
export function createIngestTransformerHandler(
  env: Env = process.env,
  guard?: RecordGuard,
): (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResponse> {
  const tools = handlerTools(transformerServiceName);
  const { logger, metrics } = tools;
  const theGuard = guard ?? recordGuardFromEnv(env, logger);

  return letheHandler(tools, async (event) => {
    if (!event || !Array.isArray(event.records)) {
      throw new Error("not a Firehose transformation event: no records array");
    }
    const { records, stats } = await theGuard.transform(event.records);
    metrics.addMetric("RecordsIn", MetricUnit.Count, stats.recordsIn);
    metrics.addMetric("RecordsDropped", MetricUnit.Count, stats.dropped);
    metrics.addMetric("RecordsFailed", MetricUnit.Count, stats.failed);
    metrics.addMetric("FilterPositives", MetricUnit.Count, stats.filterPositives);
    metrics.addMetric("DynamoDBLookups", MetricUnit.Count, stats.dynamoLookups);
    metrics.addMetric("CacheHits", MetricUnit.Count, stats.cacheHits);
    metrics.addMetric("FilterFallback", MetricUnit.Count, stats.generation === undefined ? 1 : 0);
    // Alarmed on (IngestGuard): the pointer has been unreadable for longer than the staleness limit.
    metrics.addMetric(filterStaleMetric, MetricUnit.Count, stats.filterStale ? 1 : 0);
    metrics.publishStoredMetrics();
    // Counts only: never an ID.
    logger.info("batch transformed", { invocationId: event.invocationId, ...stats });
    return { records };
  });
}
