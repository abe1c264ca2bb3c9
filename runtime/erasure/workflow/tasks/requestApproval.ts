// The requestApproval task: records the approval step's start and hands the batch to
// runtime/erasure/approval.ts (the token on the batch record, the plan summary to the approvers).
import { requestApproval, ApprovalRequestDeps } from "../../approval";
import { recordStep } from "../../batches";
import { UsageError } from "../../../contracts/errors";
import { parseBatchRound } from "./batchInput";
import { clock } from "./planLocation";

export interface RequestApprovalInput {
  batchId: string;
  plan: Record<string, unknown>;
  taskToken: string;
}

export function parseRequestApprovalInput(event: unknown): RequestApprovalInput {
  const { batchId } = parseBatchRound(event, "requestApproval");
  const e = event as { plan?: unknown; taskToken?: unknown };
  if (typeof e.taskToken !== "string" || e.taskToken === "")
    throw new UsageError("requestApproval: taskToken must be the execution's task token");
  if (typeof e.plan !== "object" || e.plan === null)
    throw new UsageError("requestApproval: plan must be the plan summary");
  return { batchId, plan: e.plan as Record<string, unknown>, taskToken: e.taskToken };
}

export async function requestBatchApproval(deps: ApprovalRequestDeps, input: RequestApprovalInput) {
  const startedAt = clock(deps)().toISOString();
  const plan = Object.fromEntries(
    Object.entries(input.plan).filter(([, v]) => ["number", "string", "boolean"].includes(typeof v)),
  ) as Record<string, number | string | boolean>;
  const reply = await requestApproval(deps, { batchId: input.batchId, plan, taskToken: input.taskToken });
  await recordStep(deps, input.batchId, "approval", { startedAt });
  return {
    ...reply,
    message: `batch ${input.batchId} waits for approval; the approvers were told how to give it`,
  };
}
