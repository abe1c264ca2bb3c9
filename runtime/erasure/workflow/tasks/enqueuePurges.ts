// The enqueuePurges task: one PurgeObjectMessage per planned object on the purge queue (10 per
// SendMessageBatch, entries SQS did not take sent again), the round's expected count recorded on the
// batch first so pollLedger can tell when the round is done, the batch moved to FORGETTING and
// `steps.forget` updated. An empty plan enqueues nothing and its round is done at once.
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { S3Client } from "@aws-sdk/client-s3";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { PurgeObjectMessage } from "../../../contracts/messages";
import { UsageError } from "../../../contracts/errors";
import { BatchTables, batchTarget, ForgetRound, moveBatch, recordStep } from "../../batches";
import { ForgetLedger, isDone } from "../../forget/ledger";
import { readPlan } from "../../plan";
import { BatchRoundInput, parseBatchRound, requireBatch } from "./batchInput";
import { clock, PlanLocation } from "./planLocation";

export interface EnqueueDeps extends BatchTables {
  s3: S3Client;
  sqs: SQSClient;
  purgeQueueUrl: string;
  now?: () => Date;
  /** Pause before sending entries SQS did not take again (default 200 ms, doubling). */
  retryPauseMs?: number;
}

export interface EnqueueInput extends BatchRoundInput {
  plan: PlanLocation;
  /**
   * The batch resumed at this round (`lethe retry`): objects the ledger has done are not sent again,
   * failed ones are opened again, and the round counts only what is sent now.
   */
  resumed?: boolean;
}

export interface EnqueueReply {
  batchId: string;
  round: number;
  enqueued: number;
  /** True for an empty plan: nothing to wait for. */
  done: boolean;
  pastDeadline: false;
  failed: false;
  objectsFailed: 0;
  message: string;
}

export function parseEnqueueInput(event: unknown): EnqueueInput {
  const base = parseBatchRound(event, "enqueuePurges");
  const plan = (event as { plan?: Partial<PlanLocation> }).plan;
  const where = plan?.location;
  if (!where || typeof where.bucket !== "string" || typeof where.key !== "string") {
    throw new UsageError('enqueuePurges: plan.location must be {"bucket": "...", "key": "..."}');
  }
  const resumed = (event as { resumed?: unknown }).resumed;
  if (resumed !== undefined && typeof resumed !== "boolean")
    throw new UsageError(`enqueuePurges: resumed must be true or false, got ${JSON.stringify(resumed)}`);
  return { ...base, plan: plan as PlanLocation, ...(resumed ? { resumed } : {}) };
}

/** For a resumed round: keeps the objects the ledger has not done, opening failed ones again. */
async function notDoneYet(
  ledger: ForgetLedger,
  input: EnqueueInput,
  objects: { mapper: string; object: { bucket: string; key: string } }[],
): Promise<boolean[]> {
  const keep: boolean[] = [];
  for (const o of objects) {
    const ref = { batchId: input.batchId, round: input.round, bucket: o.object.bucket, key: o.object.key };
    const prior = await ledger.get(ref);
    if (prior?.outcome === "failed" && !(await ledger.reopenFailed(prior)))
      throw new Error(
        `enqueuePurges: the ledger entry of s3://${ref.bucket}/${ref.key} changed while resuming`,
      );
    keep.push(!isDone(prior));
  }
  return keep;
}

const maxSendAttempts = 6;

async function sendAll(deps: EnqueueDeps, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    let entries = bodies.slice(i, i + 10).map((body, j) => ({ Id: String(i + j), MessageBody: body }));
    for (let attempt = 1; entries.length > 0; attempt++) {
      const out = await deps.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: deps.purgeQueueUrl, Entries: entries }),
      );
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      entries = entries.filter((e) => failed.has(e.Id));
      if (entries.length === 0) break;
      if (attempt >= maxSendAttempts) {
        const codes = [...new Set((out.Failed ?? []).map((f) => f.Code))].join(", ");
        throw new Error(`the purge queue refused ${entries.length} message(s) ${attempt} times (${codes})`);
      }
      await new Promise((r) => setTimeout(r, (deps.retryPauseMs ?? 200) * 2 ** (attempt - 1)));
    }
  }
}

export async function enqueuePurges(deps: EnqueueDeps, input: EnqueueInput): Promise<EnqueueReply> {
  const now = clock(deps);
  const batch = await requireBatch(deps, input.batchId);
  const startedAt = batch.steps?.forget?.startedAt ?? now().toISOString();
  // A retried invocation finds the batch moved already.
  if (batch.status !== "FORGETTING") await moveBatch(deps, input.batchId, "FORGETTING");
  const plan = await readPlan(deps.s3, input.plan.location);
  if (plan.batchId !== input.batchId) {
    throw new UsageError(`enqueuePurges: the plan is batch ${plan.batchId}'s, not batch ${input.batchId}'s`);
  }
  const messages = plan.mappers.flatMap((m) =>
    m.objects.map(
      (o) =>
        ({
          batchId: input.batchId,
          mapper: m.mapper,
          object: { bucket: o.bucket, key: o.key, versionIds: o.versionIds },
          manifest: batch.manifest,
          round: input.round,
        }) satisfies PurgeObjectMessage,
    ),
  );
  const ledger = new ForgetLedger(deps.doc, deps.ledgerTable);
  const keep = input.resumed ? await notDoneYet(ledger, input, messages) : messages.map(() => true);
  const bodies = messages.filter((_, i) => keep[i]).map((m) => JSON.stringify(m));
  const summary = await ledger.summary(input.batchId);
  const round: ForgetRound = {
    objects: bodies.length,
    settledBefore: summary.objectsPurged + summary.objectsNothingToDo + summary.objectsFailed,
    failedBefore: summary.objectsFailed,
    enqueuedAt: now().toISOString(),
    plan: input.plan.location,
  };
  // Recorded before the first message leaves, so no purge can settle ahead of its expectation; a
  // retried invocation records the same round again over the first (nothing settled is lost: the
  // ledger's outcomes are per object and round, and a redelivered object is answered "already done").
  // A resumed round is counted afresh: what was settled before it is in settledBefore now.
  const prior = input.resumed ? undefined : batch.forgetRounds?.[String(input.round)];
  const rounds = { ...(batch.forgetRounds ?? {}), [String(input.round)]: prior ?? round };
  const target = batchTarget(deps, input.batchId);
  await deps.doc.send(
    new UpdateCommand({
      TableName: target.tableName,
      Key: target.key,
      ConditionExpression: "attribute_exists(pk)",
      UpdateExpression: "SET forgetRounds = :r",
      ExpressionAttributeValues: { ":r": rounds },
    }),
  );
  await sendAll(deps, bodies);
  const enqueuedBefore = batch.steps?.forget?.counts?.objectsEnqueued ?? 0;
  await recordStep(deps, input.batchId, "forget", {
    startedAt,
    counts: {
      ...(batch.steps?.forget?.counts ?? {}),
      objectsEnqueued: enqueuedBefore + (prior ? 0 : bodies.length),
      rounds: input.round + 1,
    },
  });
  return {
    batchId: input.batchId,
    round: input.round,
    enqueued: bodies.length,
    done: bodies.length === 0,
    pastDeadline: false,
    failed: false,
    objectsFailed: 0,
    message: `batch ${input.batchId} round ${input.round}: ${bodies.length} object(s) sent to the purge queue`,
  };
}
