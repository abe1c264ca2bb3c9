// The optional human approval (`lethe:approvalRequired`): the state machine hands the requestApproval
// task a token and waits; the batch records the token and the approvers hear (SNS) what the plan would
// do, in counts and bytes, never IDs. The approval function takes the decision once: the first
// decision wins (a conditional write), a rejection ends the batch and its requests REJECTED with the
// reason, and the execution is resumed with the decision either way.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { auditEach, BatchTables, batchTarget, decidedBy, getBatch, moveBatch } from "./batches";
import type { ReleaseReply } from "./release";
import { ItemNotFound, StateMoveRefused } from "./stateMoves";
import { UsageError } from "../contracts/errors";

export interface ApprovalDecisionEvent {
  batchId: string;
  decision: "approve" | "reject";
  reason?: string;
  /** Who the decider says they are (kept as a note when an authenticated principal is given). */
  by?: string;
  /**
   * Who the caller authenticated as, set by the API function from API Gateway's authorizer context
   * (IAM user ARN, Cognito subject) or "approval link"; it is what the batch records as `by`.
   */
  principal?: string;
}

/** Checks a console or API event, naming the field at fault. */
export function parseApprovalEvent(event: unknown): ApprovalDecisionEvent {
  if (typeof event !== "object" || event === null || Array.isArray(event))
    throw new UsageError(
      'approval: the event must be an object like {"batchId": "...", "decision": "approve"}',
    );
  const e = event as Record<string, unknown>;
  if (typeof e.batchId !== "string" || e.batchId === "")
    throw new UsageError("approval: batchId must be a non-empty string");
  if (e.decision !== "approve" && e.decision !== "reject")
    throw new UsageError(
      `approval: decision must be "approve" or "reject", got ${JSON.stringify(e.decision)}`,
    );
  for (const field of ["reason", "by", "principal"] as const)
    if (e[field] !== undefined && (typeof e[field] !== "string" || (e[field] as string).length > 1000))
      throw new UsageError(`approval: ${field} must be a string of at most 1000 characters`);
  if (e.decision === "reject" && !e.reason) throw new UsageError("approval: a rejection needs a reason");
  return {
    batchId: e.batchId,
    decision: e.decision,
    reason: e.reason as string | undefined,
    by: e.by as string | undefined,
    ...(e.principal ? { principal: e.principal as string } : {}),
  };
}

export interface ApprovalRequestDeps extends BatchTables {
  sns: SNSClient;
  alertTopicArn: string;
  now?: () => Date;
  /**
   * Signed approve/reject links for this round (runtime/api/approvalLinks.ts approvalLinksFor), when
   * the stack has the HTTP API; the notification then carries them.
   */
  links?: (
    batchId: string,
    taskToken: string,
  ) => Promise<{ approve: string; reject: string; expiresAt: string }>;
}

/** What the plan would do, for the approver: counts and bytes only. */
export type PlanSummary = Record<string, number | string | boolean>;

/** The requestApproval task: the batch waits for a decision, and the approvers are told how to give it. */
export async function requestApproval(
  deps: ApprovalRequestDeps,
  input: { batchId: string; plan: PlanSummary; taskToken: string },
): Promise<{ batchId: string; status: "AWAITING_APPROVAL" }> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const figures = Object.fromEntries(
    Object.entries(input.plan ?? {}).filter(
      ([, v]) => typeof v === "number" || typeof v === "string" || typeof v === "boolean",
    ),
  );
  // The plan rides with the approval so an approval link's confirmation page can show it.
  await moveBatch(deps, input.batchId, "AWAITING_APPROVAL", {
    approval: { taskToken: input.taskToken, requestedAt: now, plan: figures },
  });
  const plan = Object.entries(figures)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join("\n");
  const links = deps.links ? await deps.links(input.batchId, input.taskToken) : undefined;
  const byLink = links
    ? `Approve in a browser: ${links.approve}\nReject in a browser:  ${links.reject}\n` +
      `(each link opens a confirmation page first, works once and expires at ${links.expiresAt})\n\n`
    : "";
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.alertTopicArn,
      Subject: `Lethe: erasure batch ${input.batchId} waits for approval`.slice(0, 100),
      Message:
        `Erasure batch ${input.batchId} waits for your decision before anything is purged.\n\nThe plan:\n${plan}\n\n` +
        byLink +
        `Approve: lethe approve ${input.batchId}\n` +
        `Reject:  lethe reject ${input.batchId} --reason "<why>"\n` +
        `Or invoke the approval function with {"batchId": "${input.batchId}", "decision": "approve", "by": "<you>"}.\n`,
    }),
  );
  return { batchId: input.batchId, status: "AWAITING_APPROVAL" };
}

export interface ApprovalDecisionDeps extends BatchTables {
  /** Resumes the waiting execution: Step Functions' SendTaskSuccess deployed, the local runner's waiter locally. */
  resume(taskToken: string, output: Record<string, unknown>): Promise<void>;
  /** Opts the rejected requests' subjects back in (release.ts); absent, the registry is left as is. */
  release?: (requestIds: string[], why: string) => Promise<ReleaseReply>;
  now?: () => Date;
}

export interface ApprovalDecisionReply {
  batchId: string;
  decision: "approve" | "reject";
  status: "FORGETTING_NEXT" | "REJECTED";
  message: string;
  /** On a rejection: subjects opted back in, and those another request still holds. */
  optOutsReleased?: number;
  optOutsKept?: number;
}

/** The approval function: records the first decision on a waiting batch and resumes its execution. */
export async function decideApproval(
  deps: ApprovalDecisionDeps,
  event: unknown,
): Promise<ApprovalDecisionReply> {
  const e = parseApprovalEvent(event);
  const who = decidedBy(e);
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const target = batchTarget(deps, e.batchId);
  try {
    await deps.doc.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: target.key,
        ConditionExpression:
          "#s = :waiting AND attribute_exists(approval.taskToken) AND attribute_not_exists(approval.decision)",
        UpdateExpression:
          "SET approval.decision = :d, approval.decidedAt = :at, approval.#by = :by, approval.reason = :r, approval.note = :n",
        ExpressionAttributeNames: { "#s": "status", "#by": "by" },
        ExpressionAttributeValues: {
          ":waiting": "AWAITING_APPROVAL",
          ":d": e.decision,
          ":at": now,
          ":by": who.by,
          ":r": e.reason ?? "",
          ":n": who.note ?? "",
        },
      }),
    );
  } catch (err) {
    if (!(
      err instanceof ConditionalCheckFailedException ||
      (err as Error).name === "ConditionalCheckFailedException"
    ))
      throw err;
    const batch = await getBatch(deps, e.batchId);
    const wanted = e.decision === "approve" ? "FORGETTING" : "REJECTED";
    if (!batch) throw new ItemNotFound(`batch ${e.batchId}`, wanted);
    const refused = new StateMoveRefused(`batch ${e.batchId}`, batch.status, wanted);
    if (batch.approval?.decision) {
      // A second decision: the first stands (an approval link used twice, two approvers).
      refused.message = `batch ${e.batchId} was already ${batch.approval.decision === "approve" ? "approved" : "rejected"} by ${batch.approval.by ?? "unknown"}`;
    } else if (batch.status !== "AWAITING_APPROVAL") {
      refused.message = `batch ${e.batchId} is ${batch.status}, not waiting for approval`;
    }
    throw refused;
  }
  const batch = (await getBatch(deps, e.batchId))!;
  await auditEach(deps, batch.requestIds, e.decision === "approve" ? "approved" : "rejected", {
    batchId: e.batchId,
    ...who,
    ...(e.reason ? { reason: e.reason } : {}),
  });
  let released: ReleaseReply | undefined;
  if (e.decision === "reject") {
    await moveBatch(deps, e.batchId, "REJECTED", { reason: `rejected by ${who.by}: ${e.reason}` }, who);
    // A rejected erasure must not keep its customers out of the lake (their new data would be dropped).
    if (deps.release) released = await deps.release(batch.requestIds, `batch ${e.batchId} rejected`);
  }
  await deps.resume(batch.approval!.taskToken, {
    decision: e.decision,
    by: who.by,
    reason: e.reason ?? "",
  });
  return {
    batchId: e.batchId,
    decision: e.decision,
    status: e.decision === "approve" ? "FORGETTING_NEXT" : "REJECTED",
    message:
      e.decision === "approve"
        ? `batch ${e.batchId} approved: purging starts now`
        : `batch ${e.batchId} rejected: its requests are REJECTED (${e.reason})` +
          (released ? `; ${released.message}` : ""),
    ...(released ? { optOutsReleased: released.released, optOutsKept: released.kept } : {}),
  };
}
