// verify task: `{"batchId": "...", "round": 0, "maxRounds": 3}` -> `{hits: 0, ...counts}` when no version
// of any object holds a subject's row, else `{hits, retry, nextRound, plan}` with the next round's
// plan on S3. Re-finds over the partitions written since find began (Athena, or the embedded engine
// on a local stack) and reads every version of every planned object.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Env } from "../contracts/env";
import { parseVerifyInput, verifyBatch } from "../erasure/workflow/tasks/verify";
import { batchTablesFromEnv, findingDepsFromEnv } from "./workflowDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const verifyServiceName = letheFunctions.verify.serviceName;

export function createVerifyHandler(env: Env = process.env) {
  const tools = handlerTools(verifyServiceName);
  const { logger, metrics } = tools;
  batchTablesFromEnv(env);
  const depsReady = findingDepsFromEnv(env);
  return letheHandler(tools, async (event: unknown) => {
    const reply = await verifyBatch(await depsReady(), parseVerifyInput(event));
    metrics.addMetric("VerifyRemainingRows", MetricUnit.Count, reply.remainingRows);
    metrics.addMetric("VerifyBytesScanned", MetricUnit.Bytes, reply.bytesScanned);
    metrics.publishStoredMetrics();
    logger.info(reply.message, { batchId: reply.batchId, round: reply.round, hits: reply.hits });
    return reply;
  });
}
