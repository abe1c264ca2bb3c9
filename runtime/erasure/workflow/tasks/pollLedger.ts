// The pollLedger task: is the round's forget done? The ledger's summary counters (added by the purge
// and errors functions) against what enqueuePurges recorded for the round. `failed` when done with
// objects that could not be purged (their reasons, from the ledger, go with it: objects, never IDs);
// `pastDeadline` when the deadline passed first. Either ends the batch NEEDS_ATTENTION.
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { UsageError } from "../../../contracts/errors";
import { BatchTables, recordStep } from "../../batches";
import { batchPartitionKey, ForgetLedger, LedgerEntry } from "../../forget/ledger";
import { BatchRoundInput, parseBatchRound, requireBatch } from "./batchInput";
import { clock } from "./planLocation";

export interface PollLedgerDeps extends BatchTables {
  now?: () => Date;
}

export interface PollLedgerInput extends BatchRoundInput {
  deadline: string;
}

export interface PollLedgerReply {
  batchId: string;
  round: number;
  done: boolean;
  pastDeadline: boolean;
  /** Done, with objects that could not be purged. */
  failed: boolean;
  objectsExpected: number;
  objectsSettled: number;
  objectsFailed: number;
  reason?: string;
}

export function parsePollLedgerInput(event: unknown): PollLedgerInput {
  const base = parseBatchRound(event, "pollLedger");
  const deadline = (event as { deadline?: unknown }).deadline;
  if (typeof deadline !== "string" || Number.isNaN(Date.parse(deadline))) {
    throw new UsageError(`pollLedger: deadline must be an ISO time, got ${JSON.stringify(deadline)}`);
  }
  return { ...base, deadline };
}

/** The round's failed objects as the ledger has them: what failed and why (first `limit`). */
async function failuresOf(t: BatchTables, batchId: string, round: number, limit = 5): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await t.doc.send(
      new QueryCommand({
        TableName: t.ledgerTable,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :sk)",
        FilterExpression: "outcome = :failed",
        ExpressionAttributeValues: {
          ":pk": batchPartitionKey(batchId),
          ":sk": `object#${round}#`,
          ":failed": "failed",
        },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    out.push(...((page.Items ?? []) as LedgerEntry[]));
    start = page.LastEvaluatedKey;
  } while (start && out.length < limit);
  return out.slice(0, limit);
}

export async function pollLedger(deps: PollLedgerDeps, input: PollLedgerInput): Promise<PollLedgerReply> {
  const now = clock(deps);
  const batch = await requireBatch(deps, input.batchId);
  const round = batch.forgetRounds?.[String(input.round)];
  if (!round)
    throw new UsageError(`pollLedger: batch ${input.batchId} has no forget round ${input.round} enqueued`);
  const s = await new ForgetLedger(deps.doc, deps.ledgerTable).summary(input.batchId);
  const objectsSettled = s.objectsPurged + s.objectsNothingToDo + s.objectsFailed - round.settledBefore;
  const objectsFailed = s.objectsFailed - round.failedBefore;
  const done = objectsSettled >= round.objects;
  const reply: PollLedgerReply = {
    batchId: input.batchId,
    round: input.round,
    done,
    pastDeadline: !done && now().getTime() > Date.parse(input.deadline),
    failed: done && objectsFailed > 0,
    objectsExpected: round.objects,
    objectsSettled,
    objectsFailed,
  };
  if (reply.failed) {
    const failures = await failuresOf(deps, input.batchId, input.round);
    reply.reason =
      `${objectsFailed} of ${round.objects} object(s) could not be purged in round ${input.round}: ` +
      failures
        .map((f) => `${f.failureKind ?? "failed"}: ${f.reason ?? `s3://${f.bucket}/${f.key}`}`)
        .join("; ");
  } else if (reply.pastDeadline) {
    reply.reason =
      `the deadline ${input.deadline} passed with ${round.objects - objectsSettled} of ${round.objects} ` +
      `object(s) of round ${input.round} not yet purged`;
  }
  if (done) {
    const step = batch.steps?.forget;
    await recordStep(deps, input.batchId, "forget", {
      startedAt: step?.startedAt ?? round.enqueuedAt,
      endedAt: now().toISOString(),
      counts: {
        ...(step?.counts ?? {}),
        objectsPurged: s.objectsPurged,
        objectsNothingToDo: s.objectsNothingToDo,
        objectsFailed: s.objectsFailed,
        rowsRemoved: s.rowsRemoved,
        versionsDeleted: s.versionsDeleted,
        conflictsRetried: s.conflictsRetried,
        bytesIn: s.bytesIn,
        bytesOut: s.bytesOut,
      },
    });
  }
  return reply;
}
