// An operator's explicit opt-back-in (the `opt-in` function, `lethe opt-in`, `POST /opt-ins`): the
// subjects leave the opt-out registry, the filter is rebuilt, and the audit keeps who, why and the
// subjects' keyed hashes (under `opt-in#<id>`, never a raw ID). A subject an open erasure still holds
// is refused (cancel that request first): its erasure would go on while its new data flowed again.
//
// Event: {"customerIds": ["c-1", ...] | [["tenant", "c-1"], ...], "reason": "...", "by"?: "...",
// "principal"?: "..."}: the IDs' field named as in the request event ("ids" is refused by name).
import { randomUUID } from "node:crypto";
import { UsageError } from "../contracts/errors";
import { endStates, idsFieldRefusal } from "../contracts/requests";
import type { OptOutRegistry } from "../ingest/optOutRegistry";
import { appendAudit, AuditSettings } from "./audit";
import { decidedBy } from "./batches";
import { getErasureRequest, normaliseSubjects } from "./request";
import { canonicalSubject, SubjectHasher } from "../subjects/subjectHash";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface OptInEvent {
  customerIds: unknown[];
  reason: string;
  by?: string;
  principal?: string;
}

const example = '{"customerIds": ["c-1"], "reason": "the customer asked to be opted back in", "by": "..."}';

export function parseOptInEvent(event: unknown): OptInEvent {
  if (typeof event !== "object" || event === null || Array.isArray(event))
    throw new UsageError(`opt-in: the event must be an object like ${example}`);
  const e = event as Record<string, unknown>;
  if (e.ids !== undefined) throw new UsageError(`opt-in: ${idsFieldRefusal}: ${example}`);
  if (!Array.isArray(e.customerIds) || e.customerIds.length === 0)
    throw new UsageError(`opt-in: "customerIds" must be a non-empty array of IDs: ${example}`);
  for (const field of ["reason", "by", "principal"] as const) {
    const v = e[field];
    if (v !== undefined && (typeof v !== "string" || v === "" || v.length > 1000))
      throw new UsageError(`opt-in: ${field} must be a non-empty string of at most 1000 characters`);
  }
  if (!e.reason) throw new UsageError("opt-in: a reason is required (it is audited)");
  const unknown = Object.keys(e).filter((k) => !["customerIds", "reason", "by", "principal"].includes(k));
  if (unknown.length > 0) throw new UsageError(`opt-in: unknown field(s) ${unknown.join(", ")}`);
  return e as unknown as OptInEvent;
}

export interface OptInDeps {
  doc: DynamoDBDocumentClient;
  requestsTable: string;
  registry: OptOutRegistry;
  hasher: SubjectHasher;
  rebuildFilter(): Promise<{ status: string; generation?: number }>;
  audit: AuditSettings;
}

export interface OptInReply {
  /** The audit trail's key of this opt-in. */
  optInId: string;
  optedIn: number;
  /** Subjects that were not opted out. */
  notRegistered: number;
  filterStatus?: string;
  filterGeneration?: number;
  message: string;
}

export async function optBackIn(deps: OptInDeps, event: unknown): Promise<OptInReply> {
  const e = parseOptInEvent(event);
  const who = decidedBy(e);
  const subjects = normaliseSubjects(e.customerIds);
  const canonical = subjects.map((k) => canonicalSubject(k));
  const entries = await deps.registry.entries(canonical);
  const held: number[] = [];
  for (const [i, c] of canonical.entries()) {
    const ref = entries.get(c)?.requestRef;
    const request = ref ? await getErasureRequest(deps.doc, deps.requestsTable, ref) : undefined;
    if (request && !endStates.includes(request.status)) held.push(i);
  }
  if (held.length > 0)
    throw new UsageError(
      `opt-in: ${held.map((i) => `ID ${i + 1}`).join(", ")} ${held.length === 1 ? "is" : "are"} held by an open erasure request (` +
        `${[...new Set(held.map((i) => entries.get(canonical[i])!.requestRef))].join(", ")}): cancel it first; nothing was changed`,
    );
  const registered = canonical.filter((c) => entries.has(c));
  for (const c of registered) await deps.registry.remove(c);
  const filter = registered.length > 0 ? await deps.rebuildFilter() : undefined;
  const optInId = `opt-in#${randomUUID()}`;
  await appendAudit(deps.doc, deps.audit, optInId, "opted-in", {
    subjects: subjects.filter((_, i) => entries.has(canonical[i])).map((k) => deps.hasher.hash(k)),
    notRegistered: subjects.length - registered.length,
    reason: e.reason,
    ...who,
    filterGeneration: filter?.generation ?? null,
  });
  return {
    optInId,
    optedIn: registered.length,
    notRegistered: subjects.length - registered.length,
    ...(filter ? { filterStatus: filter.status } : {}),
    ...(filter?.generation !== undefined ? { filterGeneration: filter.generation } : {}),
    message:
      `${registered.length} subject(s) opted back in` +
      (subjects.length > registered.length
        ? `, ${subjects.length - registered.length} were not opted out`
        : "") +
      (filter
        ? ` (filter ${filter.status}${filter.generation !== undefined ? `, generation ${filter.generation}` : ""})`
        : "") +
      `; audited as ${optInId}`,
  };
}
