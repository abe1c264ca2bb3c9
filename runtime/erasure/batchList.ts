// Batches in a state (waiting for approval, needing attention): what the console's batches page and
// `GET /batches?state=` show. Batches have no index of their own; their requests do (the requests
// table's byStatus index), so the batches are those of the requests in that state, each read once.
// Counts, bytes and reasons only: a batch record holds no ID (its IDs are in its manifest).
import type { ErasureState } from "../contracts/requests";
import { BatchTables, getBatch } from "./batches";
import { requestsInStatePages } from "./requestPages";

/** The states a person acts on from the console: approve/reject, or retry. */
export const actionableBatchStates = ["AWAITING_APPROVAL", "NEEDS_ATTENTION"] as const;
export type ActionableBatchState = (typeof actionableBatchStates)[number];

export interface BatchListItem {
  batchId: string;
  state: ErasureState;
  requests: number;
  subjects: number;
  deadline: string;
  createdAt: string;
  /** The plan's figures as the approvers are told them (counts and bytes). */
  plan?: Record<string, number | string | boolean>;
  approvalRequestedAt?: string;
  /** Why it needs attention. */
  reason?: string;
}

/** Most batches one listing reads (a stack batches 100-200 requests a month). */
export const maxBatchesListed = 100;

export async function listBatches(deps: BatchTables, state: ActionableBatchState): Promise<BatchListItem[]> {
  const ids = new Set<string>();
  for await (const page of requestsInStatePages(deps.doc, deps.requestsTable, state, {
    projection: "batchId",
  })) {
    for (const r of page) if (typeof r.batchId === "string") ids.add(r.batchId);
    if (ids.size >= maxBatchesListed) break;
  }
  const out: BatchListItem[] = [];
  for (const batchId of [...ids].slice(0, maxBatchesListed)) {
    const b = await getBatch(deps, batchId);
    // A request's state moves with its batch's; a batch that moved on since is not listed.
    if (!b || b.status !== state) continue;
    out.push({
      batchId,
      state: b.status,
      requests: b.requestIds.length,
      subjects: b.subjectCount,
      deadline: b.deadline,
      createdAt: b.createdAt,
      ...(b.approval?.plan ? { plan: b.approval.plan } : {}),
      ...(b.approval?.requestedAt ? { approvalRequestedAt: b.approval.requestedAt } : {}),
      ...(b.reason ? { reason: b.reason } : {}),
    });
  }
  return out.sort((a, b) => a.deadline.localeCompare(b.deadline));
}
