// needsAttention task: the state machine's whole state (`$.failure`, `$.forget` or `$.verify` says
// why) -> the batch and its requests NEEDS_ATTENTION with the reason, an SNS alert (counts, no IDs)
// and the BatchesNeedingAttention metric. A cancelled or rejected batch stays as it ended.
// Console test event: {"batchId": "...", "failure": {"Error": "...", "Cause": "..."}}
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { makeSnsClient } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { markNeedsAttention } from "../erasure/workflow/tasks/needsAttention";
import { batchTablesFromEnv } from "./workflowDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const needsAttentionServiceName = letheFunctions.needsAttention.serviceName;

export function createNeedsAttentionHandler(env: Env = process.env) {
  const tools = handlerTools(needsAttentionServiceName);
  const { logger, metrics } = tools;
  const deps = {
    ...batchTablesFromEnv(env),
    sns: makeSnsClient(),
    alertTopicArn: requiredEnv(env, envNames.alertTopicArn),
  };
  return letheHandler(tools, async (event: unknown) => {
    const reply = await markNeedsAttention(deps, event);
    if (reply.alerted) {
      metrics.addMetric("BatchesNeedingAttention", MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    }
    logger.warn(reply.message, { batchId: reply.batchId, status: reply.status });
    return reply;
  });
}
