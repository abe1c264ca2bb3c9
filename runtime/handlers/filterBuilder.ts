// Filter-builder Lambda: run on a schedule (EventBridge) or from the console. Reads every opted-out
// ID, publishes a new filter generation when the set changed, and replies with what it did.
// Console test event: {} (or {"force": true} to publish even when nothing changed).
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../aws/clients";
import { OptOutRegistry } from "../ingest/optOutRegistry";
import { buildOptOutFilter, BuildFilterResult } from "../ingest/filterBuilder";
import { Env, envNames, numberEnv, requiredEnv } from "../contracts/env";
import { filterLocationFromEnv } from "../ingest/settings";
import { lazySubjectHasher } from "../subjects/subjectHash";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export interface FilterBuilderReply extends BuildFilterResult {
  status: "published" | "unchanged";
  message: string;
}

export const builderServiceName = letheFunctions.filterBuilder.serviceName;

export function createFilterBuilderHandler(
  env: Env = process.env,
): (event?: unknown) => Promise<FilterBuilderReply> {
  const tools = handlerTools(builderServiceName);
  const { logger, metrics } = tools;
  const registry = new OptOutRegistry(makeDocumentClient(), requiredEnv(env, envNames.optOutTable));
  const s3 = makeS3Client();
  const location = filterLocationFromEnv(env);
  const falsePositiveRate = numberEnv(env, envNames.falsePositiveRate, 1e-9, 0.5);
  const hasher = lazySubjectHasher(makeKmsClient(), requiredEnv(env, envNames.subjectHashKeyArn));

  return letheHandler(tools, async (event) => {
    const force =
      typeof event === "object" && event !== null && (event as { force?: unknown }).force === true;
    const result = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate,
      force,
      hasher: await hasher(),
    });
    const status = result.skipped ? "unchanged" : "published";
    const message = result.skipped
      ? `registry unchanged since generation ${result.generation} (${result.itemCount} IDs): nothing uploaded`
      : `published generation ${result.generation}: ${result.itemCount} IDs, ${result.bytes} bytes, ` +
        `${result.hashCount} hashes, target false-positive rate ${result.falsePositiveRate}`;
    metrics.addMetric("FilterItems", MetricUnit.Count, result.itemCount);
    metrics.addMetric("FilterBytes", MetricUnit.Bytes, result.bytes);
    metrics.addMetric("FilterPublished", MetricUnit.Count, result.skipped ? 0 : 1);
    metrics.publishStoredMetrics();
    logger.info(message, { ...result, status });
    return { status, message, ...result };
  });
}
