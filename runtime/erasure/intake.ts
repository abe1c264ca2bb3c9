// The intake of an erasure request (the `request` function, `POST /requests`, `lethe erase`): check
// every ID, stop the subjects' new records at once (opt-out registry + a filter rebuild, before the
// reply), then record the request with its deadline and audit it (keyed hashes only).
//
// Event: {"customerIds": ["c-1", ...] | [["tenant", "c-1"], ...], "idempotencyKey"?, "reason"?, "requestedBy"?}
// The same field as the HTTP API's body (docs/openapi.json); the old name "ids" is refused by name.
import { randomUUID } from "node:crypto";
import { UsageError } from "../contracts/errors";
import { idsFieldRefusal, maxRequestIds } from "../contracts/requests";
import { appendAudit, AuditSettings } from "./audit";
import {
  cancelledIdsDroppedReason,
  dropEndedRequestIds,
  ErasureRequest,
  ErasureRequestSettings,
  moveErasureRequest,
  normaliseSubjects,
  recordErasureRequest,
  recordSplitRequest,
} from "./request";
import { canonicalSubject, SubjectHasher } from "../subjects/subjectHash";
import type { OptOutRegistry } from "../ingest/optOutRegistry";

/**
 * Most IDs one request may name (runtime/contracts/requests.ts). A request larger than one batch is
 * split into parts of at most `partSubjects` (the stack's lethe:batchMaxSubjects), each batched on its own.
 */
export const maxRequestSubjects = maxRequestIds;
/** lethe:batchMaxSubjects' default and largest value (infra/config.ts). */
export const defaultPartSubjects = 10_000;
/** Most parts one request is split into: their ids are listed in its record (DynamoDB's 400 KB item). */
export const maxRequestParts = 1_000;
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
  /** Most subjects one part of a request holds: the batch size (lethe:batchMaxSubjects); default 10,000. */
  partSubjects?: number;
}

export interface RequestReply {
  requestId: string;
  status: "RECEIVED";
  receivedAt: string;
  deadline: string;
  subjects: number;
  optOut: { registered: number; filterStatus: string; filterGeneration?: number };
  /** A request larger than one batch: its parts, in order, each batched on its own. */
  parts?: { requestId: string; subjects: number }[];
  message: string;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Files the request. The opt-outs and the filter come first; if the filter or the record fails, the
 * opt-outs this request added are taken back (conditionally: only entries still naming it), and any
 * part already recorded is cancelled, so a failed intake leaves nothing to erase and a retry files it whole.
 *
 * A request of more subjects than one batch takes (`partSubjects`) is recorded as consecutive parts,
 * each an ordinary request (its own IDs file, opt-outs naming it, state and report), plus the request's
 * own record listing them: status.ts and report/parts.ts answer for the request over all its parts.
 */
export async function fileErasureRequest(deps: IntakeDeps, event: unknown): Promise<RequestReply> {
  const e = parseRequestEvent(event);
  const subjects = normaliseSubjects(e.customerIds);
  const partSubjects = deps.partSubjects ?? defaultPartSubjects;
  if (!Number.isInteger(partSubjects) || partSubjects < 1)
    throw new Error(`request: the part size must be a whole number of subjects, got ${partSubjects}`);
  const pieces = chunks(subjects, partSubjects);
  if (pieces.length > maxRequestParts)
    throw new UsageError(
      `request: ${subjects.length} subjects would make ${pieces.length} parts of ${partSubjects} ` +
        `(lethe:batchMaxSubjects); one request takes at most ${maxRequestParts} parts (split it)`,
    );
  const now = (deps.requests.now ?? (() => new Date()))();
  // Every part is received at the same instant, so they share the request's deadline.
  const requests: ErasureRequestSettings = { ...deps.requests, now: () => now };
  const requestId = randomUUID();
  const split = pieces.length > 1;
  const partIds = split ? pieces.map(() => randomUUID()) : [requestId];
  const added: { id: string; by: string }[] = [];
  const recorded: ErasureRequest[] = [];
  let filter: Awaited<ReturnType<IntakeDeps["rebuildFilter"]>>;
  try {
    for (let i = 0; i < pieces.length; i++)
      for (const id of await deps.registry.addMany(
        pieces[i].map((k) => canonicalSubject(k)),
        partIds[i],
        now,
      ))
        added.push({ id, by: partIds[i] });
    filter = await deps.rebuildFilter();
    for (let i = 0; i < pieces.length; i++)
      recorded.push(
        (
          await recordErasureRequest(requests, deps.hasher, {
            subjects: pieces[i],
            requestId: partIds[i],
            ...(e.requestedBy ? { requestedBy: e.requestedBy } : {}),
            ...(e.reason ? { reason: e.reason } : {}),
            ...(e.idempotencyKey ? { idempotencyKey: e.idempotencyKey } : {}),
            ...(split ? { partOf: { requestId, part: i + 1, parts: pieces.length } } : {}),
          })
        ).request,
      );
    if (split)
      await recordSplitRequest(requests, {
        requestId,
        receivedAt: recorded[0].receivedAt,
        deadline: recorded[0].deadline,
        subjectCount: subjects.length,
        parts: partIds,
        ...(e.requestedBy ? { requestedBy: e.requestedBy } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
      });
  } catch (err) {
    for (const { id, by } of added) await deps.registry.release(id, by);
    for (const part of recorded)
      await cancelFailedPart(requests, part.requestId, (err as Error).message).catch(() => undefined);
    throw err;
  }
  const deadline = recorded[0].deadline;
  for (let i = 0; i < recorded.length; i++)
    await appendAudit(deps.requests.doc, deps.audit, recorded[i].requestId, "received", {
      subjects: pieces[i].map((k) => deps.hasher.hash(k)),
      subjectCount: recorded[i].subjectCount,
      deadline,
      optOutRegistered: pieces[i].length,
      filterGeneration: filter.generation ?? null,
      ...(split ? { partOf: requestId, part: i + 1, parts: pieces.length } : {}),
      ...(e.requestedBy ? { requestedBy: e.requestedBy } : {}),
    });
  if (split)
    await appendAudit(deps.requests.doc, deps.audit, requestId, "received", {
      subjectCount: subjects.length,
      deadline,
      parts: partIds,
      optOutRegistered: subjects.length,
      filterGeneration: filter.generation ?? null,
      ...(e.requestedBy ? { requestedBy: e.requestedBy } : {}),
    });
  return {
    requestId,
    status: "RECEIVED",
    receivedAt: recorded[0].receivedAt,
    deadline,
    subjects: subjects.length,
    optOut: {
      registered: subjects.length,
      filterStatus: filter.status,
      ...(filter.generation !== undefined ? { filterGeneration: filter.generation } : {}),
    },
    ...(split ? { parts: recorded.map((r) => ({ requestId: r.requestId, subjects: r.subjectCount })) } : {}),
    message:
      `request ${requestId} received: ${subjects.length} subject(s) opted out of ingest ` +
      `(filter ${filter.status}${filter.generation !== undefined ? `, generation ${filter.generation}` : ""}); ` +
      (split
        ? `split into ${pieces.length} parts of at most ${partSubjects} subjects (one batch each); `
        : "") +
      `deadline ${deadline}`,
  };
}

/** A part recorded before the intake failed: cancelled with its IDs dropped, so no batch erases it. */
async function cancelFailedPart(
  requests: ErasureRequestSettings,
  requestId: string,
  why: string,
): Promise<void> {
  await moveErasureRequest(requests, requestId, "CANCELLED", {
    stateReason: `the intake failed before the request was whole (${why})`,
  });
  await dropEndedRequestIds(requests, requestId, cancelledIdsDroppedReason);
}
