// What an operator (the `status` function, `lethe status`, `GET /requests/{id}`) sees of a request:
// its state, deadline and days left, its batch's progress in counts, and where its report is. Never
// an ID: the request names its subjects by count only. A request larger than one batch (split into
// parts at intake, intake.ts) answers for all its parts: each part's status with its batch, and the
// request's state and verdict worked out from theirs (requestParts.ts).
import { UsageError } from "../contracts/errors";
import { ErasureState } from "../contracts/requests";
import type { ErasureVerdict, ReportSearched } from "../contracts/report";
import { BatchStep, BatchTables, getBatch } from "./batches";
import { daysLeft } from "./deadlines";
import { ForgetLedger } from "./forget/ledger";
import { getErasureRequest, getRequestParts, isSplitRequest } from "./request";
import { searchedOfParts, stateOfParts, verdictOfParts } from "./requestParts";
import { ItemNotFound } from "./stateMoves";

export interface RequestStatus {
  requestId: string;
  state: ErasureState;
  receivedAt: string;
  deadline: string;
  daysLeft: number;
  overdue: boolean;
  subjects?: number;
  /** Why the request was filed. */
  reason?: string;
  /** Why it is in its state, when a move said (cancelled, rejected, needs attention). */
  stateReason?: string;
  batch?: {
    batchId: string;
    state: ErasureState;
    /** The batch's execution (its ARN), once started: what `lethe erase --wait` follows, whoever batched. */
    executionId?: string;
    objectsPurged: number;
    objectsNothingToDo: number;
    objectsFailed: number;
    rowsRemoved: number;
    versionsDeleted: number;
    /** Each step's times and counts, as its task recorded them. */
    steps: Record<string, BatchStep>;
  };
  report?: string;
  /** Once reported: ERASED, NOTHING_FOUND (no data of the subjects anywhere searched) or NOT_COMPLETED. */
  verdict?: ErasureVerdict;
  /** Where Lethe looked: every data mapper and store, and the bytes find scanned. */
  searched?: ReportSearched;
  /** A request larger than one batch: each part's status (its batch's progress, its report), in order. */
  parts?: RequestStatus[];
  /** A part of such a request: the request it is part of, and which part. */
  partOf?: { requestId: string; part: number; parts: number };
}

export function parseStatusEvent(event: unknown): string {
  const id = (event as { requestId?: unknown } | null)?.requestId;
  if (typeof id !== "string" || id === "")
    throw new UsageError('status: the event must be {"requestId": "..."}');
  return id;
}

export async function requestStatus(
  deps: BatchTables,
  event: unknown,
  now = new Date(),
): Promise<RequestStatus> {
  const requestId = parseStatusEvent(event);
  const item = (await getErasureRequest(deps.doc, deps.requestsTable, requestId)) as
    Record<string, unknown> | undefined;
  // Unknown ids answer like an unknown item anywhere: "does not exist" (404 over HTTP).
  if (!item) throw new ItemNotFound(`request ${requestId}`, "RECEIVED");
  if (!isSplitRequest(item)) return itemStatus(deps, item, now);
  const parts: RequestStatus[] = [];
  const split = { requestId, parts: item.parts as string[] };
  for (const part of await getRequestParts(deps.doc, deps.requestsTable, split))
    parts.push(await itemStatus(deps, part as unknown as Record<string, unknown>, now));
  const state = stateOfParts(parts.map((p) => p.state));
  const verdict = verdictOfParts(parts.map((p) => p.verdict));
  const searched = parts.map((p) => p.searched);
  return {
    ...statusHead(item, state, now),
    ...(verdict ? { verdict } : {}),
    ...(searched.every((s) => s !== undefined) ? { searched: searchedOfParts(searched) } : {}),
    parts,
  };
}

/** What a request's status says of any request record, split or not: its ids, dates and counts. */
function statusHead(item: Record<string, unknown>, state: ErasureState, now: Date) {
  const deadline = String(item.deadline);
  return {
    requestId: String(item.requestId),
    state,
    receivedAt: String(item.receivedAt),
    deadline,
    daysLeft: daysLeft(deadline, now),
    overdue: Date.parse(deadline) < now.getTime() && state !== "COMPLETED",
    ...(typeof item.subjectCount === "number" ? { subjects: item.subjectCount } : {}),
    ...(typeof item.reason === "string" ? { reason: item.reason } : {}),
    ...(typeof item.stateReason === "string" ? { stateReason: item.stateReason } : {}),
  };
}

async function itemStatus(
  deps: BatchTables,
  item: Record<string, unknown>,
  now: Date,
): Promise<RequestStatus> {
  const state = item.status as ErasureState;
  const partOf = item.partOf as RequestStatus["partOf"] | undefined;
  const out: RequestStatus = {
    ...statusHead(item, state, now),
    ...(typeof item.report === "string" ? { report: item.report } : {}),
    ...(typeof item.verdict === "string" ? { verdict: item.verdict as ErasureVerdict } : {}),
    ...(item.searched && typeof item.searched === "object"
      ? { searched: item.searched as ReportSearched }
      : {}),
    ...(partOf ? { partOf: { requestId: partOf.requestId, part: partOf.part, parts: partOf.parts } } : {}),
  };
  if (typeof item.batchId === "string") {
    const batch = await getBatch(deps, item.batchId);
    const counters = await new ForgetLedger(deps.doc, deps.ledgerTable).summary(item.batchId);
    if (batch)
      out.batch = {
        batchId: item.batchId,
        state: batch.status,
        ...(batch.executionId ? { executionId: batch.executionId } : {}),
        objectsPurged: counters.objectsPurged,
        objectsNothingToDo: counters.objectsNothingToDo,
        objectsFailed: counters.objectsFailed,
        rowsRemoved: counters.rowsRemoved,
        versionsDeleted: counters.versionsDeleted,
        steps: batch.steps ?? {},
      };
  }
  return out;
}
