// Find task: for one batch, find every data mapper's objects holding the batch's subjects (Athena
// joined with the manifest, or the embedded engine on a local stack, united with the index
// metastore's versions), write the plan to S3 and reply with its location and summary (counts and
// bytes scanned; never an ID).
// The state machine's event: {"batchId": "b1", "round": 0} (the batch moves to FINDING; `steps.find`).
// Console test event: {"manifest": {"bucket": "<lake>", "key": "erasure-manifests/batch_id=b1/manifest.jsonl"}}
// (optionally "since": "2024-03-01T00:00:00Z" to look only at objects written since then, in any partition).
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Env } from "../contracts/env";
import { ManifestRef } from "../contracts/messages";
import { UsageError } from "../contracts/errors";
import { planBatch, PlanSummary, summarisePlan, writePlan } from "../erasure/plan";
import { parseBatchRound } from "../erasure/workflow/tasks/batchInput";
import { findForBatch } from "../erasure/workflow/tasks/find";
import type { PlanLocation } from "../erasure/workflow/tasks/planLocation";
import { findingDepsFromEnv } from "./workflowDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

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

export type FindTaskReply = PlanLocation & { message: string };

export function parseFindEvent(event: unknown): { manifest: ManifestRef; since?: Date } {
  const e = event as Partial<FindEvent> | null;
  const m = e?.manifest;
  if (!m || typeof m.bucket !== "string" || typeof m.key !== "string") {
    throw new UsageError(
      'expected {"batchId": "...", "round": 0} or {"manifest": {"bucket": "...", "key": "...", "versionId": "..."}}',
    );
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

function isBatchEvent(event: unknown): boolean {
  return typeof event === "object" && event !== null && "batchId" in event && !("manifest" in event);
}

export const findServiceName = letheFunctions.find.serviceName;

export function createFindHandler(
  env: Env = process.env,
): (event: unknown) => Promise<FindReply | FindTaskReply> {
  const tools = handlerTools(findServiceName);
  const { logger, metrics } = tools;
  const depsReady = findingDepsFromEnv(env);
  const publish = (s: { objects: number; bytesScanned: number }) => {
    metrics.addMetric("FindBytesScanned", MetricUnit.Bytes, s.bytesScanned);
    metrics.addMetric("FindObjects", MetricUnit.Count, s.objects);
    metrics.publishStoredMetrics();
  };
  return letheHandler(tools, async (event) => {
    const deps = await depsReady();
    if (isBatchEvent(event)) {
      const located = await findForBatch(deps, parseBatchRound(event, "find"));
      const message =
        `batch ${located.batchId}: ${located.objects} object(s), ${located.versions} version(s), ` +
        `${located.expectedRows} row(s) expected, ${located.bytesScanned} bytes scanned`;
      publish(located);
      logger.info(message, { plan: located });
      return { ...located, message };
    }
    const { manifest, since } = parseFindEvent(event);
    const plan = await planBatch(deps, deps.mappers, manifest, { since });
    const ref = await writePlan(deps.s3, deps.planTarget, plan);
    const summary = summarisePlan(plan);
    const message =
      `batch ${plan.batchId}: ${summary.objects} object(s), ${summary.versions} version(s), ` +
      `${summary.expectedRows} row(s) expected, ${summary.bytesScanned} bytes scanned`;
    publish(summary);
    logger.info(message, { summary, plan: ref });
    return { batchId: plan.batchId, plan: ref, summary, message };
  });
}
