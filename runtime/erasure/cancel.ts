// Cancelling an erasure: a request not yet batched ends CANCELLED on its own; a batch ends CANCELLED
// with all its requests, its execution is stopped, and the purge workers acknowledge its remaining
// messages without work (they read the batch's state on the ledger). A request inside a running batch
// is not cancelled alone (its objects are being rewritten for every request of the batch): the reply
// says which batch to cancel. Finished requests and batches stay as they ended.
// Each cancelled request is audited with who cancelled it, its subjects are opted back in unless
// another request holds them (release.ts), and then its raw IDs are dropped and it gets its TTL.
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { UsageError } from "../contracts/errors";
import { endStates, ErasureState } from "../contracts/requests";
import { auditEach, BatchTables, getBatch, moveBatch, moveRequest, MovedBy } from "./batches";
import type { ReleaseReply } from "./release";
import { getRequestParts, isSplitRequest } from "./request";
import { ItemNotFound, StateMoveRefused } from "./stateMoves";

export interface CancelDeps extends BatchTables {
  /** Stops the batch's execution (Step Functions StopExecution deployed; the local runner's abort locally). */
  stopExecution(executionId: string, cause: string): Promise<void>;
  /** Opts the cancelled requests' subjects back in (release.ts); absent, the registry is left as is. */
  release?: (requestIds: string[], why: string) => Promise<ReleaseReply>;
  /** Drops a cancelled request's raw IDs and sets its TTL (request.ts dropEndedRequestIds). */
  dropRawIds?: (requestId: string) => Promise<boolean>;
}

export interface CancelReply {
  cancelled: "request" | "batch";
  id: string;
  requestsCancelled: string[];
  /** Subjects opted back in, and those another request still holds. */
  optOutsReleased?: number;
  optOutsKept?: number;
  /** Requests whose raw IDs were dropped now. */
  rawIdsDropped?: number;
  message: string;
}

/** After the move: audit who cancelled, release the opt-outs, then drop the raw IDs (release reads them). */
async function afterCancel(
  deps: CancelDeps,
  requestIds: string[],
  who: MovedBy,
  reason: string,
  batchId?: string,
): Promise<Pick<CancelReply, "optOutsReleased" | "optOutsKept" | "rawIdsDropped"> & { note: string }> {
  await auditEach(deps, requestIds, "cancelled", { ...(batchId ? { batchId } : {}), reason, ...who });
  const released = deps.release ? await deps.release(requestIds, reason) : undefined;
  let dropped = 0;
  if (deps.dropRawIds) for (const id of requestIds) if (await deps.dropRawIds(id)) dropped++;
  return {
    ...(released ? { optOutsReleased: released.released, optOutsKept: released.kept } : {}),
    ...(deps.dropRawIds ? { rawIdsDropped: dropped } : {}),
    note: released ? `; ${released.message}` : "",
  };
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
  who: MovedBy = { by: "unknown" },
): Promise<CancelReply> {
  const target = parseCancelEvent(event);
  if ("batchId" in target) {
    const { batch, requestsLeft } = await moveBatch(deps, target.batchId, "CANCELLED", { reason }, who);
    const executionId = batch.executionId as string | undefined;
    if (executionId) await deps.stopExecution(executionId, reason);
    const requestIds = (batch.requestIds as string[] | undefined) ?? [];
    const cancelled = requestIds.filter((id) => !requestsLeft.includes(id));
    const { note, ...after } = await afterCancel(deps, cancelled, who, reason, target.batchId);
    return {
      cancelled: "batch",
      id: target.batchId,
      requestsCancelled: requestIds,
      ...after,
      message: `batch ${target.batchId} cancelled with its ${requestIds.length} request(s); queued purges are acknowledged without work${note}`,
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
  ).Item as { status?: ErasureState; batchId?: string; parts?: string[] } | undefined;
  if (!request) throw new ItemNotFound(`request ${target.requestId}`, "CANCELLED");
  if (isSplitRequest(request)) return cancelParts(deps, target.requestId, request.parts!, reason, who);
  if (request.batchId && request.status && !endStates.includes(request.status)) {
    const batch = await getBatch(deps, request.batchId);
    const refused = new StateMoveRefused(`request ${target.requestId}`, request.status, "CANCELLED");
    refused.message =
      `request ${target.requestId} is in batch ${request.batchId} (${batch?.status ?? request.status}): ` +
      `cancel the batch ({"batchId": "${request.batchId}"}), which cancels all its requests`;
    throw refused;
  }
  await moveRequest(deps, target.requestId, "CANCELLED", { reason }, who);
  const { note, ...after } = await afterCancel(deps, [target.requestId], who, reason);
  return {
    cancelled: "request",
    id: target.requestId,
    requestsCancelled: [target.requestId],
    ...after,
    message: `request ${target.requestId} cancelled before it was batched${note}`,
  };
}

/**
 * Cancels a request larger than one batch (intake.ts split it into parts): every part not yet batched
 * ends CANCELLED, parts that ended on their own stay as they are. While a part is inside a running
 * batch nothing is cancelled: the refusal names the batches to cancel (each cancels all its requests).
 */
async function cancelParts(
  deps: CancelDeps,
  requestId: string,
  partIds: string[],
  reason: string,
  who: MovedBy,
): Promise<CancelReply> {
  const parts = await getRequestParts(deps.doc, deps.requestsTable, { requestId, parts: partIds });
  const running = parts.filter((p) => p.batchId && p.status && !endStates.includes(p.status));
  if (running.length > 0) {
    const refused = new StateMoveRefused(`request ${requestId}`, running[0].status!, "CANCELLED");
    refused.message =
      `request ${requestId} has ${running.length} of its ${parts.length} parts in running batches ` +
      `(${[...new Set(running.map((p) => p.batchId))].join(", ")}): cancel those batches ({"batchId": "..."}), ` +
      "then the request";
    throw refused;
  }
  const open = parts.filter((p) => p.status === "RECEIVED").map((p) => p.requestId);
  for (const id of open) await moveRequest(deps, id, "CANCELLED", { reason }, who);
  const { note, ...after } = await afterCancel(deps, open, who, reason);
  return {
    cancelled: "request",
    id: requestId,
    requestsCancelled: open,
    ...after,
    message:
      `request ${requestId}: ${open.length} of its ${parts.length} parts cancelled before they were batched` +
      `${open.length < parts.length ? ` (the other ${parts.length - open.length} had ended)` : ""}${note}`,
  };
}
