// Cancel Lambda (`lethe cancel`, the console with `{"requestId": "..."}` or `{"batchId": "..."}`): a
// request not yet batched ends CANCELLED; a batch ends CANCELLED with all its requests and its
// execution is stopped (Step Functions StopExecution deployed; locally the runner sees the batch's
// state while polling and aborts), and the purge workers acknowledge its queued messages without work.
// Console test event: events/cancel.json.
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import { makeDocumentClient, makeS3Client, makeSfnClient } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { UsageError } from "../contracts/errors";
import { decidedBy } from "../erasure/batches";
import { cancelErasure, CancelDeps, CancelReply } from "../erasure/cancel";
import { cancelledIdsDroppedReason, dropEndedRequestIds } from "../erasure/request";
import { auditSettingsFromEnv, rawIdSettingsFromEnv, RebuildFilter, releaseFromEnv } from "./optOutDeps";
import { asUsageError } from "./refusals";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const cancelServiceName = letheFunctions.cancel.serviceName;

/** Stops a Step Functions execution; a local run's id (not an ARN) needs no call, nor one already ended. */
export function sfnStopExecution(): CancelDeps["stopExecution"] {
  const sfn = makeSfnClient();
  return async (executionId, cause) => {
    if (!executionId.startsWith("arn:")) return;
    try {
      await sfn.send(new StopExecutionCommand({ executionArn: executionId, cause: cause.slice(0, 32_768) }));
    } catch (err) {
      if ((err as Error).name !== "ExecutionDoesNotExist") throw err;
    }
  };
}

export interface CancelHandlerDeps {
  stopExecution?: CancelDeps["stopExecution"];
  rebuildFilter?: RebuildFilter;
}

export function createCancelHandler(
  env: Env = process.env,
  deps: CancelHandlerDeps = {},
): (event: unknown) => Promise<CancelReply> {
  const tools = handlerTools(cancelServiceName);
  const { logger } = tools;
  const s3 = makeS3Client();
  const tables = {
    doc: makeDocumentClient(),
    requestsTable: requiredEnv(env, envNames.requestsTable),
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    audit: auditSettingsFromEnv(env, s3),
  };
  const rawIds = rawIdSettingsFromEnv(env, tables, s3);
  const cancel: CancelDeps = {
    ...tables,
    stopExecution: deps.stopExecution ?? sfnStopExecution(),
    release: releaseFromEnv(env, tables, s3, deps.rebuildFilter),
    dropRawIds: (requestId) => dropEndedRequestIds(rawIds, requestId, cancelledIdsDroppedReason),
  };
  return letheHandler(tools, async (event) => {
    const e = (event ?? {}) as { reason?: unknown; by?: unknown; principal?: unknown };
    for (const [field, value] of Object.entries({ reason: e.reason, by: e.by, principal: e.principal }))
      if (value !== undefined && (typeof value !== "string" || value === "" || value.length > 1000))
        throw new UsageError(`cancel: ${field} must be a non-empty string of at most 1000 characters`);
    const who = decidedBy(e as { by?: string; principal?: string });
    const reason = typeof e.reason === "string" ? `cancelled: ${e.reason}` : undefined;
    const reply = await asUsageError(() => cancelErasure(cancel, event, reason, who));
    logger.info(reply.message, { cancelled: reply.cancelled, id: reply.id });
    return reply;
  });
}
