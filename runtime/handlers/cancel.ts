// Cancel Lambda (`lethe cancel`, the console with `{"requestId": "..."}` or `{"batchId": "..."}`): a
// request not yet batched ends CANCELLED; a batch ends CANCELLED with all its requests and its
// execution is stopped (Step Functions StopExecution deployed; locally the runner sees the batch's
// state while polling and aborts), and the purge workers acknowledge its queued messages without work.
// Console test event: events/cancel.json.
import { Logger } from "@aws-lambda-powertools/logger";
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import { makeDocumentClient, makeSfnClient } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { UsageError } from "../contracts/errors";
import { cancelErasure, CancelDeps, CancelReply } from "../erasure/cancel";
import { asUsageError } from "./refusals";

export const cancelServiceName = "lethe-cancel";

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
}

export function createCancelHandler(
  env: Env = process.env,
  deps: CancelHandlerDeps = {},
): (event: unknown) => Promise<CancelReply> {
  const logger = new Logger({ serviceName: cancelServiceName });
  const cancel: CancelDeps = {
    doc: makeDocumentClient(),
    requestsTable: requiredEnv(env, envNames.requestsTable),
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    stopExecution: deps.stopExecution ?? sfnStopExecution(),
  };
  return async (event) => {
    const reason = (event as { reason?: unknown } | null)?.reason;
    if (reason !== undefined && (typeof reason !== "string" || reason === "" || reason.length > 1000))
      throw new UsageError("cancel: reason must be a non-empty string of at most 1000 characters");
    const reply = await asUsageError(() =>
      cancelErasure(cancel, event, typeof reason === "string" ? `cancelled: ${reason}` : undefined),
    );
    logger.info(reply.message, { cancelled: reply.cancelled, id: reply.id });
    return reply;
  };
}
