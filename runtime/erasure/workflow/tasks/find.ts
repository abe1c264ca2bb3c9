// The find task for one batch round 0: read the batch's manifest, move the batch (and its requests)
// to FINDING, find and plan (runtime/erasure/plan.ts), write the plan and hand on its location and
// summary. `steps.find` records when it ran and what it found; verify re-finds from its start.
import { moveBatch, recordStep } from "../../batches";
import { planBatch, summarisePlan } from "../../plan";
import { BatchRoundInput, requireBatch } from "./batchInput";
import { clock, FindingDeps, PlanLocation, summaryCounts, writeRoundPlan } from "./planLocation";

export async function findForBatch(deps: FindingDeps, input: BatchRoundInput): Promise<PlanLocation> {
  const now = clock(deps);
  const batch = await requireBatch(deps, input.batchId);
  const startedAt = now().toISOString();
  await moveBatch(deps, input.batchId, "FINDING");
  await recordStep(deps, input.batchId, "find", { startedAt });
  const plan = await planBatch(deps, deps.mappers, batch.manifest, {}, now());
  const located = await writeRoundPlan(deps.s3, deps.planTarget, plan, input.round);
  await recordStep(deps, input.batchId, "find", {
    startedAt,
    endedAt: now().toISOString(),
    counts: summaryCounts(summarisePlan(plan)),
  });
  return located;
}
