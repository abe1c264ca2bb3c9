// The intake of an erasure request (the `request` function, `POST /requests`, `lethe erase`): check
// every ID, stop the subjects' new records at once (opt-out registry + a filter rebuild, before the
// reply), then record the request with its deadline and audit it (keyed hashes only).
//
// Event: {"customerIds": ["c-1", ...] | [["tenant", "c-1"], ...], "idempotencyKey"?, "reason"?, "requestedBy"?}
// The same field as the HTTP API's body (docs/openapi.json); the old name "ids" is refused by name.
import { randomUUID } from "node:crypto";
import { UsageError } from "../contracts/errors";
import { idsFieldRefusal } from "../contracts/requests";
import { appendAudit, AuditSettings } from "./audit";
import { ErasureRequest, ErasureRequestSettings, normaliseSubjects, recordErasureRequest } from "./request";
import { canonicalSubject, SubjectHasher } from "./subjectHash";
import type { OptOutRegistry } from "../ingest/optOutRegistry";

/** Most IDs one request may name: a batch's worth (../shared/WORKFLOW.md: batches of up to 10,000 IDs). */
export const maxRequestSubjects = 10_000;
const maxTextLength = 1000;

export interface RequestEvent {
  customerIds: unknown[];
  idempotencyKey?: string;
  reason?: string;
  requestedBy?: string;
}

const eventExample = '{"customerIds": ["c-1", "c-2"], "reason": "...", "requestedBy": "..."}';

/** Checks the event's shape (the IDs themselves are checked by normaliseSubjects, one error per bad ID). */
export function parseRequestEvent(event: unknown): RequestEvent {
  if (typeof event !== "object" || event === null || Array.isArray(event))
    throw new UsageError(`request: the event must be an object like ${eventExample}`);
  const e = event as Record<string, unknown>;
  if (e.ids !== undefined) throw new UsageError(`request: ${idsFieldRefusal}: ${eventExample}`);
  const ids = e.customerIds;
  if (ids === undefined) throw new UsageError(`request: the event has no "customerIds": ${eventExample}`);
  if (!Array.isArray(ids)) throw new UsageError('request: "customerIds" must be an array of IDs');
  if (ids.length === 0) throw new UsageError("request: an erasure request needs at least one customer ID");
  if (ids.length > maxRequestSubjects)
    throw new UsageError(
      `request: ${ids.length} IDs given; one request takes at most ${maxRequestSubjects} (split it)`,
    );
  for (const field of ["idempotencyKey", "reason", "requestedBy"] as const) {
    const v = e[field];
    if (v !== undefined && (typeof v !== "string" || v === "" || v.length > maxTextLength))
      throw new UsageError(
        `request: ${field} must be a non-empty string of at most ${maxTextLength} characters`,
      );
  }
  const unknown = Object.keys(e).filter(
    (k) => !["customerIds", "idempotencyKey", "reason", "requestedBy"].includes(k),
  );
  if (unknown.length > 0) throw new UsageError(`request: unknown field(s) ${unknown.join(", ")}`);
  return {
    customerIds: ids,
    ...(e.idempotencyKey ? { idempotencyKey: e.idempotencyKey as string } : {}),
    ...(e.reason ? { reason: e.reason as string } : {}),
    ...(e.requestedBy ? { requestedBy: e.requestedBy as string } : {}),
  };
}

export interface IntakeDeps {
  requests: ErasureRequestSettings;
  hasher: SubjectHasher;
  registry: OptOutRegistry;
  /** Publishes a new ingest filter generation now (the filter-builder function). */
  rebuildFilter(): Promise<{ status: string; generation?: number }>;
  audit: AuditSettings;
}

export interface RequestReply {
  requestId: string;
  status: "RECEIVED";
  receivedAt: string;
  deadline: string;
  subjects: number;
  optOut: { registered: number; filterStatus: string; filterGeneration?: number };
  message: string;
}

/**
 * Files the request. The opt-outs and the filter come first; if the filter or the record fails, the
 * opt-outs this request added are taken back (conditionally: only entries still naming it), so a
 * failed intake changes nothing and a retry files it whole.
 */
export async function fileErasureRequest(deps: IntakeDeps, event: unknown): Promise<RequestReply> {
  const e = parseRequestEvent(event);
  const subjects = normaliseSubjects(e.customerIds);
  const requestId = randomUUID();
  const added = await deps.registry.addMany(
    subjects.map((k) => canonicalSubject(k)),
    requestId,
    (deps.requests.now ?? (() => new Date()))(),
  );
  let filter: Awaited<ReturnType<IntakeDeps["rebuildFilter"]>>;
  let request: ErasureRequest;
  try {
    filter = await deps.rebuildFilter();
    ({ request } = await recordErasureRequest(deps.requests, deps.hasher, {
      subjects,
      requestId,
      ...(e.requestedBy ? { requestedBy: e.requestedBy } : {}),
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.idempotencyKey ? { idempotencyKey: e.idempotencyKey } : {}),
    }));
  } catch (err) {
    for (const id of added) await deps.registry.release(id, requestId);
    throw err;
  }
  await appendAudit(deps.requests.doc, deps.audit, requestId, "received", {
    subjects: subjects.map((k) => deps.hasher.hash(k)),
    subjectCount: request.subjectCount,
    deadline: request.deadline,
    optOutRegistered: subjects.length,
    filterGeneration: filter.generation ?? null,
    ...(e.requestedBy ? { requestedBy: e.requestedBy } : {}),
  });
  return {
    requestId,
    status: "RECEIVED",
    receivedAt: request.receivedAt,
    deadline: request.deadline,
    subjects: request.subjectCount,
    optOut: {
      registered: subjects.length,
      filterStatus: filter.status,
      ...(filter.generation !== undefined ? { filterGeneration: filter.generation } : {}),
    },
    message:
      `request ${requestId} received: ${request.subjectCount} subject(s) opted out of ingest ` +
      `(filter ${filter.status}${filter.generation !== undefined ? `, generation ${filter.generation}` : ""}); ` +
      `deadline ${request.deadline}`,
  };
}
