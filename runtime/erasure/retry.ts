// Resuming a batch that stopped (`lethe retry <batchId>`, the batch function's `{"retry": "<batchId>"}`):
// a batch that ended NEEDS_ATTENTION, or whose execution ended without moving it (a crashed local run),
// runs again with the same manifest and ledger: from its last forget round when it has one (the same
// plan; objects the ledger has done are not purged again, failed ones are sent again), else from Find.
// Its requests' raw IDs must still be there (they are kept lethe:failedRequestIdGraceDays past the
// deadline): once dropped, nothing can be resumed and the erasure is filed again.
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { UsageError } from "../contracts/errors";
import { endStates, ErasureState } from "../contracts/requests";
import { auditEach, BatchRecord, BatchTables, batchTarget, getBatch, moveBatch, MovedBy } from "./batches";
import type { ExecutionInput } from "./batching";
import { getErasureRequest } from "./request";
import { ItemNotFound, StateMoveRefused } from "./stateMoves";

/** Where a resumed execution starts (the definition's ResumeOrStart choice reads `resume`). */
export interface ResumeInput extends ExecutionInput {
  resume?: { round: number; plan: { batchId: string; round: number; location: BatchPlanLocation } };
}

type BatchPlanLocation = NonNullable<BatchRecord["forgetRounds"]>[string]["plan"];

export interface RetryDeps extends BatchTables {
  /** Starts the state machine named `name` (one execution name per run of a batch). */
  startExecution(input: ResumeInput, name: string): Promise<{ executionId: string }>;
  /** True while the execution runs (Step Functions DescribeExecution deployed). */
  executionRunning(executionId: string): Promise<boolean>;
}

export interface RetryReply {
  status: "RESUMED";
  batchId: string;
  /** `Find`: the batch starts over from find; `Forget`: from its last forget round. */
  resumedAt: "Find" | "Forget";
  round?: number;
  requestIds: string[];
  executionId: string;
  message: string;
}

export function parseRetryEvent(event: unknown): string | undefined {
  const e = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
  if (e.retry === undefined) return undefined;
  if (typeof e.retry !== "string" || e.retry === "")
    throw new UsageError('retry: the event must be {"retry": "<batchId>"}');
  return e.retry;
}

/** The last forget round the batch recorded, if any. */
function lastRound(batch: BatchRecord): number | undefined {
  const rounds = Object.keys(batch.forgetRounds ?? {}).map(Number);
  return rounds.length ? Math.max(...rounds) : undefined;
}

export async function retryBatch(deps: RetryDeps, batchId: string, who: MovedBy): Promise<RetryReply> {
  const batch = await getBatch(deps, batchId);
  if (!batch) throw new ItemNotFound(`batch ${batchId}`, "NEEDS_ATTENTION");
  const status: ErasureState = batch.status;
  if (endStates.includes(status) && status !== "NEEDS_ATTENTION") {
    const refused = new StateMoveRefused(`batch ${batchId}`, status, "NEEDS_ATTENTION");
    refused.message = `batch ${batchId} ended ${status}: there is nothing to retry`;
    throw refused;
  }
  if (status !== "NEEDS_ATTENTION") {
    if (batch.executionId && (await deps.executionRunning(batch.executionId))) {
      const refused = new StateMoveRefused(`batch ${batchId}`, status, "NEEDS_ATTENTION");
      refused.message = `batch ${batchId} is ${status} and its execution is running: follow it with lethe status`;
      throw refused;
    }
  }
  // Nothing can be resumed without the subjects' IDs: the purge reads the manifest, find the requests'.
  for (const requestId of batch.requestIds) {
    const request = await getErasureRequest(deps.doc, deps.requestsTable, requestId);
    if (!request?.idsFile)
      throw new UsageError(
        `batch ${batchId} cannot be retried: the raw IDs of its request ${requestId} were dropped ` +
          `(kept lethe:failedRequestIdGraceDays past the deadline): file the erasure again`,
      );
  }
  if (status !== "NEEDS_ATTENTION")
    await moveBatch(
      deps,
      batchId,
      "NEEDS_ATTENTION",
      { reason: `its execution ended while the batch was ${status}, without moving it` },
      who,
    );
  const round = lastRound(batch);
  const plan = round === undefined ? undefined : batch.forgetRounds![String(round)].plan;
  await moveBatch(deps, batchId, plan ? "FORGETTING" : "BATCHED", {}, who);
  const retries = ((batch as { retries?: number }).retries ?? 0) + 1;
  const input: ResumeInput = {
    batchId,
    deadline: batch.deadline,
    ...(plan && round !== undefined ? { resume: { round, plan: { batchId, round, location: plan } } } : {}),
  };
  const { executionId } = await deps.startExecution(input, `${batchId}-retry-${retries}`);
  const target = batchTarget(deps, batchId);
  await deps.doc.send(
    new UpdateCommand({
      TableName: target.tableName,
      Key: target.key,
      UpdateExpression: "SET executionId = :e, retries = :n REMOVE reason",
      ExpressionAttributeValues: { ":e": executionId, ":n": retries },
    }),
  );
  // The requests no longer point at their NEEDS_ATTENTION report: whoever follows them waits for the
  // final one (the report task points at it once it is written).
  for (const requestId of batch.requestIds)
    await deps.doc.send(
      new UpdateCommand({
        TableName: deps.requestsTable,
        Key: { requestId },
        ConditionExpression: "attribute_exists(requestId)",
        UpdateExpression: "REMOVE #report",
        ExpressionAttributeNames: { "#report": "report" },
      }),
    );
  const resumedAt = plan ? "Forget" : "Find";
  await auditEach(deps, batch.requestIds, "retried", {
    batchId,
    executionId,
    resumedAt,
    ...(round !== undefined && plan ? { round } : {}),
    ...who,
  });
  return {
    status: "RESUMED",
    batchId,
    resumedAt,
    ...(plan ? { round } : {}),
    requestIds: batch.requestIds,
    executionId,
    message:
      `batch ${batchId} resumed ${plan ? `at forget round ${round} (objects already purged are not purged again)` : "from find"}` +
      `: ${batch.requestIds.length} request(s), execution started`,
  };
}
