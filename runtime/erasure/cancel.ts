// Cancelling an erasure: a request not yet batched ends CANCELLED on its own; a batch ends CANCELLED
// with all its requests, its execution is stopped, and the purge workers acknowledge its remaining
// messages without work (they read the batch's state on the ledger). A request inside a running batch
// is not cancelled alone (its objects are being rewritten for every request of the batch): the reply
// says which batch to cancel. Finished requests and batches stay as they ended.
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { UsageError } from "../contracts/errors";
import { endStates, ErasureState } from "../contracts/requests";
import { BatchTables, getBatch, moveBatch, requestTarget } from "./batches";
import { ItemNotFound, moveState, StateMoveRefused } from "./stateMoves";

export interface CancelDeps extends BatchTables {
  /** Stops the batch's execution (Step Functions StopExecution deployed; the local runner's abort locally). */
  stopExecution(executionId: string, cause: string): Promise<void>;
}

export interface CancelReply {
  cancelled: "request" | "batch";
  id: string;
  requestsCancelled: string[];
  message: string;
}

export function parseCancelEvent(event: unknown): { requestId: string } | { batchId: string } {
  const e = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
  const given = (["requestId", "batchId"] as const).filter((k) => e[k] !== undefined);
  if (given.length !== 1)
    throw new UsageError('cancel: give exactly one of {"requestId": "..."} or {"batchId": "..."}');
  const value = e[given[0]];
  if (typeof value !== "string" || value === "")
    throw new UsageError(`cancel: ${given[0]} must be a non-empty string`);
  return given[0] === "requestId" ? { requestId: value } : { batchId: value };
}

export async function cancelErasure(
  deps: CancelDeps,
  event: unknown,
  reason = "cancelled by an operator",
): Promise<CancelReply> {
  const target = parseCancelEvent(event);
  if ("batchId" in target) {
    const { batch } = await moveBatch(deps, target.batchId, "CANCELLED", { reason });
    const executionId = batch.executionId as string | undefined;
    if (executionId) await deps.stopExecution(executionId, reason);
    const requestIds = (batch.requestIds as string[] | undefined) ?? [];
    return {
      cancelled: "batch",
      id: target.batchId,
      requestsCancelled: requestIds,
      message: `batch ${target.batchId} cancelled with its ${requestIds.length} request(s); queued purges are acknowledged without work`,
    };
  }
  const request = (
    await deps.doc.send(
      new GetCommand({
        TableName: deps.requestsTable,
        Key: { requestId: target.requestId },
        ConsistentRead: true,
      }),
    )
  ).Item as { status?: ErasureState; batchId?: string } | undefined;
  if (!request) throw new ItemNotFound(`request ${target.requestId}`, "CANCELLED");
  if (request.batchId && request.status && !endStates.includes(request.status)) {
    const batch = await getBatch(deps, request.batchId);
    const refused = new StateMoveRefused(`request ${target.requestId}`, request.status, "CANCELLED");
    refused.message =
      `request ${target.requestId} is in batch ${request.batchId} (${batch?.status ?? request.status}): ` +
      `cancel the batch ({"batchId": "${request.batchId}"}), which cancels all its requests`;
    throw refused;
  }
  await moveState(deps.doc, requestTarget(deps, target.requestId), "CANCELLED", { reason });
  return {
    cancelled: "request",
    id: target.requestId,
    requestsCancelled: [target.requestId],
    message: `request ${target.requestId} cancelled before it was batched`,
  };
}
