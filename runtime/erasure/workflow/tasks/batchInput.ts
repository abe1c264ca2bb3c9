// The state machine's payloads as the tasks receive them, checked before anything is read or moved:
// a bad payload is a UsageError naming the field (the execution then ends NEEDS_ATTENTION with it).
import { UsageError } from "../../../contracts/errors";
import { batchIdPattern } from "../../manifest";
import { BatchRecord, BatchTables, getBatch } from "../../batches";

export interface BatchRoundInput {
  batchId: string;
  round: number;
}

export function parseBatchRound(event: unknown, task: string): BatchRoundInput {
  const e = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
  if (typeof e.batchId !== "string" || !batchIdPattern.test(e.batchId)) {
    throw new UsageError(
      `${task}: batchId must be a batch id (letters, digits, - or _), got ${JSON.stringify(e.batchId)}`,
    );
  }
  const round = e.round ?? 0;
  if (!Number.isInteger(round) || (round as number) < 0) {
    throw new UsageError(`${task}: round must be a whole number, got ${JSON.stringify(e.round)}`);
  }
  return { batchId: e.batchId, round: round as number };
}

export async function requireBatch(t: BatchTables, batchId: string): Promise<BatchRecord> {
  const batch = await getBatch(t, batchId);
  if (!batch) throw new UsageError(`batch ${batchId} does not exist`);
  return batch;
}
