// The needsAttention task: whatever ended the execution early (a task's unhandled failure at
// `$.failure`, forget past its deadline or with failed objects at `$.forget`, verify out of rounds at
// `$.verify`) becomes the batch's reason; the batch and its requests move to NEEDS_ATTENTION, and the
// operators get an alert in counts, never IDs. A batch that already ended (cancelled, rejected)
// stays as it ended, and nobody is alerted about it.
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { endStates } from "../../../contracts/requests";
import { BatchTables, getBatch, moveBatch } from "../../batches";
import { StateMoveRefused } from "../../stateMoves";
import { parseBatchRound } from "./batchInput";

export interface NeedsAttentionDeps extends BatchTables {
  sns: SNSClient;
  alertTopicArn: string;
}

export interface NeedsAttentionReply {
  batchId: string;
  status: string;
  reason: string;
  alerted: boolean;
  requests: number;
  message: string;
}

interface ExecutionState {
  failure?: { Error?: string; Cause?: string };
  forget?: { pastDeadline?: boolean; failed?: boolean; reason?: string };
  verify?: { hits?: number; rounds?: number; remainingRows?: number };
}

/** Lambda's Cause is the JSON of `{errorType, errorMessage, trace}`; the local runner's, the message. */
function causeText(cause: string | undefined): string {
  if (!cause) return "";
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (typeof parsed?.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // a plain message
  }
  return cause;
}

interface BranchOutcome {
  ok?: boolean;
  store?: string;
  outcome?: string;
  reason?: string;
  failure?: { Error?: string; Cause?: string };
  forget?: ExecutionState["forget"];
  verify?: ExecutionState["verify"];
}

function failureText(f: { Error?: string; Cause?: string }): string {
  const cause = causeText(f.Cause);
  return `${f.Error ?? "Error"}${cause ? `: ${cause}` : ""}`;
}

/** EraseEverywhere's outcome (`{lake, dynamodb: [...], ...}`, as JSON in the Cause): each branch that failed, and why. */
function outcomeReasons(cause: string | undefined): string | undefined {
  let outcome: Record<string, BranchOutcome | BranchOutcome[]>;
  try {
    outcome = JSON.parse(cause ?? "");
  } catch {
    return undefined;
  }
  if (typeof outcome !== "object" || outcome === null || !("lake" in outcome)) return undefined;
  const reasons: string[] = [];
  const lake = outcome.lake as BranchOutcome;
  if (lake && lake.ok === false) {
    const detail = branchState(lake) ?? (lake.failure ? failureText(lake.failure) : "not erased");
    const named =
      lake.failure?.Error && !detail.startsWith(lake.failure.Error) ? `${lake.failure.Error}: ` : "";
    reasons.push(`lake: ${named}${detail}`);
  }
  for (const [kind, entries] of Object.entries(outcome)) {
    if (kind === "lake" || !Array.isArray(entries)) continue;
    for (const e of entries.filter((x) => x.ok === false)) {
      reasons.push(`store ${e.store ?? kind}: ${e.reason ?? e.outcome ?? "not erased"}`);
    }
  }
  return reasons.length ? reasons.join("; ") : undefined;
}

function branchState(state: ExecutionState): string | undefined {
  if (state.forget?.reason && (state.forget.failed || state.forget.pastDeadline)) return state.forget.reason;
  if (state.verify?.hits) {
    return (
      `verify still found ${state.verify.hits} object(s) holding ${state.verify.remainingRows ?? "some"} ` +
      `subject row(s) after ${state.verify.rounds ?? "every"} round(s)`
    );
  }
  return undefined;
}

export function attentionReason(state: ExecutionState): string {
  if (state.failure) {
    const text = outcomeReasons(state.failure.Cause) ?? failureText(state.failure);
    return text.slice(0, 2000);
  }
  const own = branchState(state);
  if (own) return own;
  return "the execution ended without a reason it could name; see its history";
}

export async function markNeedsAttention(
  deps: NeedsAttentionDeps,
  event: unknown,
): Promise<NeedsAttentionReply> {
  const { batchId } = parseBatchRound(event, "needsAttention");
  const reason = attentionReason(event as ExecutionState);
  const batch = await getBatch(deps, batchId);
  if (!batch) {
    // Nothing to move; the operators still hear of it (the batch id is no subject's).
    await alert(deps, batchId, reason, 0, 0);
    return {
      batchId,
      status: "UNKNOWN",
      reason,
      alerted: true,
      requests: 0,
      message: `batch ${batchId} does not exist: ${reason}`,
    };
  }
  const requests = batch.requestIds.length;
  if (endStates.includes(batch.status) && batch.status !== "NEEDS_ATTENTION") {
    return {
      batchId,
      status: batch.status,
      reason: batch.reason ?? reason,
      alerted: false,
      requests,
      message: `batch ${batchId} had already ended ${batch.status}; left as it is (the failure after: ${reason})`,
    };
  }
  let status = "NEEDS_ATTENTION";
  if (batch.status !== "NEEDS_ATTENTION") {
    try {
      await moveBatch(deps, batchId, "NEEDS_ATTENTION", { reason });
    } catch (err) {
      if (!(err instanceof StateMoveRefused)) throw err;
      // Ended meanwhile (a cancel racing the failure): it stays as it ended.
      status = (await getBatch(deps, batchId))?.status ?? "UNKNOWN";
      if (status !== "NEEDS_ATTENTION") {
        return {
          batchId,
          status,
          reason,
          alerted: false,
          requests,
          message: `batch ${batchId} ended ${status} meanwhile; left as it is`,
        };
      }
    }
  }
  await alert(deps, batchId, reason, requests, batch.subjectCount);
  return {
    batchId,
    status,
    reason,
    alerted: true,
    requests,
    message: `batch ${batchId} and its ${requests} request(s) need attention: ${reason}`,
  };
}

async function alert(
  deps: NeedsAttentionDeps,
  batchId: string,
  reason: string,
  requests: number,
  subjects: number,
) {
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.alertTopicArn,
      Subject: `Lethe: erasure batch ${batchId} needs attention`.slice(0, 100),
      Message:
        `Erasure batch ${batchId} (${requests} request(s), ${subjects} subject(s)) stopped and needs a person.\n\n` +
        `Why: ${reason}\n\n` +
        `Its requests are NEEDS_ATTENTION; nothing was lost (the manifest, the plan and the ledger are kept).\n` +
        `See: lethe status <requestId>, and the errors table for objects that could not be purged.\n`,
    }),
  );
}
