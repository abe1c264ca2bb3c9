// One store's step of a batch as the state machine's store branches ask for it (storeBranches.ts):
// `{ batchId, store, action, deadline }`, the IDs read from the manifest the batch record names. The
// reply says whether the store is done and, when it is, the result the branch ends with; the store's
// outcome goes on the batch record (`storeOutcomes.<store>`, what the report lists) and its times and
// counts in `steps["store:<store>"]`. A store that cannot confirm alerts its owner once per batch.
//
// Actions: `forget` (DynamoDB, PostgreSQL: find, erase, verify in one call), `submit` and `poll` (a
// subsystem: one HTTP exchange each; the branch Waits `waitSeconds` between them), and `fail` (the
// branch's Catch: the function failed for good, and the failure is recorded and alerted here).
import { UsageError } from "../contracts/errors";
import type { ReportTarget } from "../contracts/report";
import { StoreConfig } from "../contracts/stores";
import {
  BatchRecord,
  BatchStep,
  BatchTables,
  getBatch,
  recordStep,
  recordStoreOutcome,
} from "../erasure/batches";
import { batchIdPattern } from "../erasure/manifest";
import { OwnerAlert, ownerAlertMessage } from "./ownerAlert";
import { redactIds, runStoreTask, StoreTaskDeps, StoreTaskEvent, StoreTaskReply } from "./storeTask";

export type BatchStoreAction = "forget" | "submit" | "poll" | "fail";

export interface BatchStoreEvent {
  batchId: string;
  store: string;
  action: BatchStoreAction;
  /** The request's deadline (the execution's input); the batch record's when left out. */
  deadline?: string;
  /** An async subsystem's first pause between polls (seconds), doubled per poll up to maxPollSeconds. */
  pollSeconds?: number;
  maxPollSeconds?: number;
  /** With `fail`: the error the branch caught (Step Functions' `{Error, Cause}`). */
  failure?: { Error?: string; Cause?: string };
}

/** What a store branch ends with: one entry of the Parallel's outcome (counts and words, never an ID). */
export interface StoreBranchResult {
  store: string;
  kind: StoreConfig["kind"];
  ok: boolean;
  outcome: ReportTarget["outcome"];
  rowsRemoved: number;
  reason?: string;
}

export interface BatchStoreReply {
  /** False while an async subsystem is still at work: call `nextAction` after `waitSeconds`. */
  done: boolean;
  nextAction: "submit" | "poll" | null;
  waitSeconds: number;
  result: StoreBranchResult | null;
}

export interface BatchStoreDeps extends Omit<StoreTaskDeps, "sendAlert"> {
  batches: BatchTables;
  sendAlert: (alert: OwnerAlert) => Promise<void>;
  now?: () => number;
}

const actions: readonly BatchStoreAction[] = ["forget", "submit", "poll", "fail"];
const defaults = { pollSeconds: 60, maxPollSeconds: 3600 };

/** True for the state machine's form of a store event: it names no manifest (the batch record does). */
export function isBatchStoreEvent(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && !("manifest" in raw);
}

export function parseBatchStoreEvent(raw: unknown, store: StoreConfig): BatchStoreEvent {
  const bad = (message: string): never => {
    throw new UsageError(`store "${store.name}": bad state-machine event: ${message}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad("must be a JSON object");
  const e = raw as Record<string, unknown>;
  if (e.store !== store.name)
    bad(`store must be ${JSON.stringify(store.name)} (this function's), got ${JSON.stringify(e.store)}`);
  if (typeof e.batchId !== "string" || !batchIdPattern.test(e.batchId))
    bad(`batchId must be 1-128 letters, digits, - or _, got ${JSON.stringify(e.batchId)}`);
  const action = e.action as BatchStoreAction;
  const fits =
    action === "fail" ||
    (store.kind === "subsystem" ? action === "submit" || action === "poll" : action === "forget");
  if (!actions.includes(action) || !fits)
    bad(
      `action must be ${store.kind === "subsystem" ? "submit, poll" : "forget"} or fail for a ${store.kind} store, got ${JSON.stringify(e.action)}`,
    );
  if (
    e.deadline !== undefined &&
    (typeof e.deadline !== "string" || !Number.isFinite(Date.parse(e.deadline)))
  )
    bad(`deadline must be an ISO date-time, got ${JSON.stringify(e.deadline)}`);
  for (const f of ["pollSeconds", "maxPollSeconds"])
    if (e[f] !== undefined && (!Number.isInteger(e[f]) || (e[f] as number) < 1))
      bad(`${f} must be a whole number of seconds above 0, got ${JSON.stringify(e[f])}`);
  const failure = e.failure as Record<string, unknown> | undefined;
  if (action === "fail" && (typeof failure !== "object" || failure === null))
    bad('failure must be the caught error {"Error": "...", "Cause": "..."}');
  return {
    batchId: e.batchId as string,
    store: store.name,
    action,
    ...(e.deadline !== undefined ? { deadline: e.deadline as string } : {}),
    ...(e.pollSeconds !== undefined ? { pollSeconds: e.pollSeconds as number } : {}),
    ...(e.maxPollSeconds !== undefined ? { maxPollSeconds: e.maxPollSeconds as number } : {}),
    ...(failure
      ? {
          failure: {
            ...(typeof failure.Error === "string" ? { Error: failure.Error } : {}),
            ...(typeof failure.Cause === "string" ? { Cause: failure.Cause } : {}),
          },
        }
      : {}),
  };
}

/** A caught error in words: Step Functions wraps a function's error as JSON in Cause. */
export function failureReason(failure: BatchStoreEvent["failure"]): string {
  const error = failure?.Error ?? "an unknown error";
  let cause = failure?.Cause ?? "";
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === "string") cause = parsed.errorMessage;
  } catch {
    // A plain-text cause, as Step Functions gives for a timeout.
  }
  return `the store's function failed: ${error}${cause ? `: ${cause}` : ""}`.slice(0, 500);
}

export async function runBatchStoreTask(
  deps: BatchStoreDeps,
  event: BatchStoreEvent,
): Promise<BatchStoreReply> {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const batch = await getBatch(deps.batches, event.batchId);
  if (!batch) throw new UsageError(`store "${store.name}": batch ${event.batchId} does not exist`);
  const stepName = `store:${store.name}`;
  const prior: BatchStep | undefined = batch.steps?.[stepName];
  const startedAt =
    prior && (event.action === "poll" || event.action === "fail") ? prior.startedAt : iso(now);
  if (!prior || event.action === "forget" || event.action === "submit")
    await recordStep(deps.batches, event.batchId, stepName, { startedAt });
  const deadline = event.deadline ?? batch.deadline;

  // The IDs are read once per call, whatever the number of store calls it makes.
  let keys: Promise<string[][]> | undefined;
  const readIds: StoreTaskDeps["readIds"] = (ref) => (keys ??= deps.readIds(ref));
  // runStoreTask's alert is held back: the owner hears of a failure once per batch (finish decides).
  let alert: OwnerAlert | undefined;
  const taskDeps: StoreTaskDeps = { ...deps, readIds, sendAlert: async (a) => void (alert = a) };
  const call = (action: StoreTaskEvent["action"]) =>
    runStoreTask(taskDeps, {
      batchId: event.batchId,
      action,
      manifest: batch.manifest,
      store: store.name,
      deadline,
    });

  const finish = async (
    outcome: ReportTarget["outcome"],
    rowsRemoved: number,
    counts: Record<string, number>,
    reason?: string,
  ): Promise<BatchStoreReply> => {
    const ok = outcome === "erased" || outcome === "nothing-found";
    const target: ReportTarget = {
      kind: store.kind,
      name: store.name,
      outcome,
      rowsRemoved,
      ...(reason ? { reason } : {}),
    };
    // Alert before recording: a crash between the two can alert twice, never not at all.
    if (!ok && alert && !alreadyFailed(batch, store.name)) await deps.sendAlert(alert);
    await recordStoreOutcome(deps.batches, event.batchId, store.name, target);
    await recordStep(deps.batches, event.batchId, stepName, { startedAt, endedAt: iso(now), counts });
    return {
      done: true,
      nextAction: null,
      waitSeconds: 0,
      result: {
        store: store.name,
        kind: store.kind,
        ok,
        outcome,
        rowsRemoved,
        ...(reason ? { reason } : {}),
      },
    };
  };
  const counted = (r: StoreTaskReply, extra: Record<string, number> = {}): Record<string, number> =>
    Object.fromEntries(
      Object.entries({ subjects: r.subjects, ...extra }).filter(([, v]) => typeof v === "number"),
    ) as Record<string, number>;

  if (event.action === "fail") {
    // The caught error's text may quote a value the store was sent: never pass one on.
    const subjectKeys = await readIds(batch.manifest).catch(() => [] as string[][]);
    const reason = redactIds(failureReason(event.failure), subjectKeys.flat());
    alert = ownerAlertMessage({
      store,
      batchId: event.batchId,
      action: firstAction(store),
      reason,
      subjects: subjectKeys.length,
      manifest: batch.manifest,
      deadline,
    });
    return finish("failed", 0, {}, reason);
  }

  if (event.action === "forget") {
    const found = await call("find");
    if (found.status === "NEEDS_ATTENTION") return finish("needs-attention", 0, counted(found), found.reason);
    const erased = await call("erase");
    const deleted = erased.deleted ?? 0;
    if (erased.status === "NEEDS_ATTENTION")
      return finish("needs-attention", 0, counted(erased, { found: found.count ?? 0 }), erased.reason);
    const verified = await call("verify");
    const counts = counted(verified, {
      found: found.count ?? 0,
      deleted,
      remaining: verified.remaining ?? 0,
      ...(erased.changedSinceFound ? { changedSinceFound: erased.changedSinceFound } : {}),
    });
    if (verified.status === "NEEDS_ATTENTION")
      return finish("needs-attention", deleted, counts, verified.reason);
    return finish(found.count === 0 && deleted === 0 ? "nothing-found" : "erased", deleted, counts);
  }

  // A subsystem: one exchange, then done, or a Wait before the next one.
  const polls = event.action === "poll" ? (prior?.counts?.polls ?? 0) + 1 : 0;
  const reply = await call(event.action);
  // A poll does not read the manifest: the subjects' count stays as the submit recorded it.
  const counts = {
    ...(event.action === "poll" ? prior?.counts : {}),
    ...counted(reply, { polls, ...(reply.erased !== undefined ? { erased: reply.erased } : {}) }),
  };
  if (reply.status === "NEEDS_ATTENTION") return finish("needs-attention", 0, counts, reply.reason);
  if (reply.status === "COMPLETED") return finish("erased", reply.erased ?? 0, counts);
  await recordStep(deps.batches, event.batchId, stepName, { startedAt, counts });
  return {
    done: false,
    nextAction: reply.nextAction ?? "poll",
    waitSeconds: nextWait(event, polls, deadline, now()),
    result: null,
  };
}

/**
 * The pause before the next call: the first pause doubled per poll, at most the maximum, and never
 * past the deadline (the call at the deadline is the one that gives up and alerts).
 */
export function nextWait(event: BatchStoreEvent, polls: number, deadline: string, nowMs: number): number {
  const first = event.pollSeconds ?? defaults.pollSeconds;
  const most = Math.max(first, event.maxPollSeconds ?? defaults.maxPollSeconds);
  const backoff = Math.min(most, first * 2 ** Math.min(polls, 30));
  const untilDeadline = Math.ceil((Date.parse(deadline) - nowMs) / 1000);
  return Math.max(1, Number.isFinite(untilDeadline) ? Math.min(backoff, untilDeadline) : backoff);
}

function alreadyFailed(batch: BatchRecord, store: string): boolean {
  const o = batch.storeOutcomes?.[store]?.outcome;
  return o === "failed" || o === "needs-attention";
}

function firstAction(store: StoreConfig): string {
  return store.kind === "subsystem" ? "submit" : "erase";
}

function iso(now: () => number): string {
  return new Date(now()).toISOString();
}
