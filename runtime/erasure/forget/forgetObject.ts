// One purge message, end to end, as the purge function runs it: refuse bad input (recorded on the
// batch), acknowledge a cancelled batch's message without work, answer "already done" to a redelivery
// after success, purge under the object's lock, record the outcome in the ledger with the batch's
// counters, and drop the index entries of the versions deleted.
// Outcomes the caller acts on: "failed" goes to the errors table now (no retry can help), "retry"
// goes back to the queue with a backoff (lock busy, conflict, lease lost). Anything else thrown (AWS
// errors) is left to the queue's own redelivery and, in the end, its dead-letter queue.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ForgetError, isForgetError } from "./errors";
import { removeIndexEntriesOfDeletedVersions } from "./indexEntries";
import { ForgetLedger, LedgerEntry, ObjectRef, isDone } from "./ledger";
import { labelOf, MessageLabel } from "./message";
import { ForgetDeps, ForgetReport, prepareObjectPurge, purgePrepared } from "./purgeLakeObject";

export interface ForgetServiceDeps extends ForgetDeps {
  ledger: ForgetLedger;
  /** The index metastore; omitted, no index is kept up to date. */
  index?: { doc: DynamoDBDocumentClient; tableName: string };
}

export type ForgetOutcome =
  | {
      outcome: "purged" | "nothing-to-do";
      label: MessageLabel;
      report: ForgetReport;
      indexEntriesRemoved: number;
    }
  | { outcome: "already-done"; label: MessageLabel; entry: LedgerEntry }
  | { outcome: "cancelled"; label: MessageLabel }
  | { outcome: "failed"; label: MessageLabel; error: ForgetError }
  | { outcome: "retry"; label: MessageLabel; error: ForgetError };

export async function forgetObject(input: unknown, deps: ForgetServiceDeps): Promise<ForgetOutcome> {
  const label = labelOf(input);
  let prepared;
  try {
    prepared = await prepareObjectPurge(input, deps);
  } catch (err) {
    if (!isForgetError(err)) throw err;
    const ref = objectRef(label);
    if (ref) await deps.ledger.recordFailure(ref, err.kind, err.message, await deps.ledger.get(ref));
    return { outcome: "failed", label, error: err };
  }
  const { message } = prepared;
  if (await deps.ledger.isCancelled(message.batchId)) return { outcome: "cancelled", label };
  const ref: ObjectRef = {
    batchId: message.batchId,
    round: message.round ?? 0,
    bucket: message.object.bucket,
    key: message.object.key,
    mapper: message.mapper,
  };
  const prior = await deps.ledger.get(ref);
  if (isDone(prior)) return { outcome: "already-done", label, entry: prior! };

  let report: ForgetReport;
  try {
    report = await purgePrepared(prepared, deps);
  } catch (err) {
    if (!isForgetError(err)) throw err;
    if (err.retryable) {
      await deps.ledger.recordRetry(ref, err.kind, err.message, prior);
      return { outcome: "retry", label, error: err };
    }
    await deps.ledger.recordFailure(ref, err.kind, err.message, prior);
    return { outcome: "failed", label, error: err };
  }
  const indexEntriesRemoved = deps.index
    ? await removeIndexEntriesOfDeletedVersions(
        deps.index.doc,
        deps.index.tableName,
        { mapper: message.mapper, bucket: ref.bucket, key: ref.key },
        report.versionsDeleted,
      )
    : 0;
  const recorded = await deps.ledger.recordSuccess(report, prior);
  if (!recorded) {
    const now = await deps.ledger.get(ref);
    if (isDone(now)) return { outcome: "already-done", label, entry: now! };
  }
  return {
    outcome: report.status === "purged" ? "purged" : "nothing-to-do",
    label,
    report,
    indexEntriesRemoved,
  };
}

function objectRef(label: MessageLabel): ObjectRef | undefined {
  if (!label.batchId || !label.bucket || !label.key) return undefined;
  return {
    batchId: label.batchId,
    round: label.round ?? 0,
    bucket: label.bucket,
    key: label.key,
    mapper: label.mapper,
  };
}
