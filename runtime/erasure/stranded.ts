// Batches left behind by their execution (the deadline function's sweep): an execution that ended
// without moving its batch (a local run whose process was killed mid-forget, an execution stopped by
// hand) leaves its requests FINDING or FORGETTING forever, with nothing behind them. Each such batch
// moves to NEEDS_ATTENTION with its requests, saying why and that `lethe retry` resumes it, so
// `status` tells the truth and the operators are alerted like any batch needing attention.
import { requestsInState } from "./requestPages";
import { endStates, ErasureState } from "../contracts/requests";
import { BatchTables, getBatch, moveBatch, workflowMover } from "./batches";
import { StateMoveRefused } from "./stateMoves";

/** The states a request is in while an execution of its batch runs. */
export const inExecutionStates: readonly ErasureState[] = [
  "BATCHED",
  "FINDING",
  "AWAITING_APPROVAL",
  "FORGETTING",
  "VERIFYING",
];

export interface StrandedDeps extends BatchTables {
  /** The execution's status (RUNNING, SUCCEEDED, ...), or undefined when no such execution exists. */
  executionStatus(executionId: string): Promise<string | undefined>;
}

export interface StrandedBatch {
  batchId: string;
  /** Its state when its execution was found ended. */
  state: ErasureState;
  /** The execution's end (SUCCEEDED, FAILED, ABORTED, TIMED_OUT) or `gone` (no such execution). */
  execution: string;
}

/** The batches holding requests in an in-execution state, each once. */
async function batchesInExecution(deps: BatchTables): Promise<string[]> {
  const ids = new Set<string>();
  for (const status of inExecutionStates)
    for (const r of await requestsInState(deps.doc, deps.requestsTable, status, { projection: "batchId" }))
      if (typeof r.batchId === "string") ids.add(r.batchId);
  return [...ids].sort();
}

/** Flags every batch whose execution ended while the batch was still open: it needs attention. */
export async function flagStrandedBatches(deps: StrandedDeps): Promise<StrandedBatch[]> {
  const flagged: StrandedBatch[] = [];
  for (const batchId of await batchesInExecution(deps)) {
    const before = await getBatch(deps, batchId);
    // A batch being made has no execution yet (batching.ts records it right after the start).
    if (!before?.executionId || endStates.includes(before.status)) continue;
    const execution = await deps.executionStatus(before.executionId);
    if (execution === "RUNNING") continue;
    // Read again after the execution ended: its last task may have moved the batch just before.
    const batch = await getBatch(deps, batchId);
    if (!batch || endStates.includes(batch.status) || batch.executionId !== before.executionId) continue;
    const ended = execution ?? "gone";
    try {
      await moveBatch(
        deps,
        batchId,
        "NEEDS_ATTENTION",
        {
          reason:
            `its execution ended (${ended}) while the batch was ${batch.status}, without moving it: ` +
            `resume it with lethe retry ${batchId}`,
        },
        workflowMover,
      );
    } catch (err) {
      if (!(err instanceof StateMoveRefused)) throw err;
      continue; // moved meanwhile (cancelled, or resumed)
    }
    flagged.push({ batchId, state: batch.status, execution: ended });
  }
  return flagged;
}
