// Find task: for one batch, find every data mapper's objects holding the batch's subjects (Athena
// joined with the manifest, united with the index metastore's versions), write the plan to S3 and
// reply with its location and summary (counts and bytes scanned; never an ID).
// Console test event: {"manifest": {"bucket": "<lake>", "key": "erasure-manifests/batch_id=b1/manifest.jsonl"}}
// (optionally "since": "2024-03-01T00:00:00Z" to look only at partitions written since then).
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { makeAthenaClient, makeDocumentClient, makeGlueClient, makeS3Client } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { dataMappersFromEnv } from "../contracts/mappers";
import { ManifestRef } from "../contracts/messages";
import { UsageError } from "../contracts/errors";
import { indexHasherFromEnv } from "../erasure/metastore/indexHasher";
import { athenaFinder } from "../erasure/find/athenaFinder";
import { planBatch, PlanSummary, summarisePlan, writePlan } from "../erasure/plan";

export interface FindEvent {
  manifest: ManifestRef;
  since?: string;
}

export interface FindReply {
  batchId: string;
  plan: { bucket: string; key: string; versionId?: string };
  summary: PlanSummary;
  message: string;
}

export function parseFindEvent(event: unknown): { manifest: ManifestRef; since?: Date } {
  const e = event as Partial<FindEvent> | null;
  const m = e?.manifest;
  if (!m || typeof m.bucket !== "string" || typeof m.key !== "string") {
    throw new UsageError('expected {"manifest": {"bucket": "...", "key": "...", "versionId": "..."}}');
  }
  let since: Date | undefined;
  if (e?.since !== undefined) {
    since = new Date(String(e.since));
    if (Number.isNaN(since.getTime()))
      throw new UsageError(`since must be an ISO time, got ${JSON.stringify(e.since)}`);
  }
  return {
    manifest: { bucket: m.bucket, key: m.key, ...(m.versionId ? { versionId: m.versionId } : {}) },
    since,
  };
}

export const findServiceName = "lethe-find";

export function createFindHandler(env: Env = process.env): (event: unknown) => Promise<FindReply> {
  const logger = new Logger({ serviceName: findServiceName });
  const metrics = new Metrics({ namespace: "Lethe", serviceName: findServiceName });
  const s3 = makeS3Client();
  const mappers = dataMappersFromEnv(env, envNames.dataMappers);
  const finder = athenaFinder(
    { athena: makeAthenaClient(), glue: makeGlueClient(), s3 },
    {
      workGroup: requiredEnv(env, envNames.athenaWorkgroup),
      manifestDatabase: requiredEnv(env, envNames.glueDatabase),
    },
  );
  const doc = makeDocumentClient();
  const table = requiredEnv(env, envNames.indexTable);
  const hasher = indexHasherFromEnv(env);
  const target = {
    bucket: requiredEnv(env, envNames.lakeBucket),
    kmsKeyArn: requiredEnv(env, envNames.kmsKeyArn),
  };
  return async (event) => {
    const { manifest, since } = parseFindEvent(event);
    const index = { doc, table, hashSubject: await hasher };
    const plan = await planBatch({ s3, finder, index }, mappers, manifest, { since });
    const ref = await writePlan(s3, target, plan);
    const summary = summarisePlan(plan);
    const message =
      `batch ${plan.batchId}: ${summary.objects} object(s), ${summary.versions} version(s), ` +
      `${summary.expectedRows} row(s) expected, ${summary.bytesScanned} bytes scanned`;
    metrics.addMetric("FindBytesScanned", MetricUnit.Bytes, summary.bytesScanned);
    metrics.addMetric("FindObjects", MetricUnit.Count, summary.objects);
    metrics.publishStoredMetrics();
    logger.info(message, { summary, plan: ref });
    return { batchId: plan.batchId, plan: ref, summary, message };
  };
}
