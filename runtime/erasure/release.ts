// Opting subjects back in when their erasure ends without erasing (CANCELLED, REJECTED): the intake
// opted them out at once, and left there the ingest guard would drop their new data for good, which
// nobody asked for. A subject leaves the registry only when no other request holds it: the registry
// entry names the first request that registered it (OptOutRegistry.addMany keeps it), and an entry
// naming an ended request is handed to another open, failed or completed request that names the
// subject (by keyed hash) before anything is deleted. Deletes are conditional on the entry still
// naming the ended request, so an intake racing the release keeps its opt-out. Then the filter is
// rebuilt and each request's audit says what happened (counts and hashes, never an ID).
import { S3Client } from "@aws-sdk/client-s3";
import { erasureStates, ErasureState } from "../contracts/requests";
import type { OptOutRegistry } from "../ingest/optOutRegistry";
import { auditEach, BatchTables } from "./batches";
import { requestsInState } from "./requestPages";
import { ErasureRequest, getErasureRequest, readRequestIds, readSubjectHashes } from "./request";
import { canonicalSubject, SubjectHasher } from "../subjects/subjectHash";

/** The states of a request that ended without erasing: its subjects are no longer its to hold. */
export const releasingStates: readonly ErasureState[] = ["CANCELLED", "REJECTED"];

export interface ReleaseDeps extends BatchTables {
  s3: S3Client;
  registry: OptOutRegistry;
  hasher: SubjectHasher;
  /** Publishes a new ingest filter now (the filter-builder function). */
  rebuildFilter(): Promise<{ status: string; generation?: number }>;
}

export interface ReleaseReply {
  /** Subjects opted back in. */
  released: number;
  /** Subjects another request (or an earlier registration) still holds. */
  kept: number;
  /** Requests whose raw IDs were gone already, so nothing of theirs could be released. */
  withoutIds: string[];
  filterGeneration?: number;
  message: string;
}

/** Every request but `except` that holds subjects: any state but the releasing ones, by keyed hash. */
async function holdersByHash(deps: ReleaseDeps, except: Set<string>): Promise<Map<string, string>> {
  const holders = new Map<string, string>();
  for (const status of erasureStates.filter((s) => !releasingStates.includes(s)))
    for (const r of await requestsInState<ErasureRequest>(deps.doc, deps.requestsTable, status)) {
      if (except.has(r.requestId)) continue;
      for (const h of await readSubjectHashes(deps.s3, r)) if (!holders.has(h)) holders.set(h, r.requestId);
    }
  return holders;
}

/**
 * Releases the subjects of those of `requestIds` that ended CANCELLED or REJECTED (others are left
 * alone), rebuilds the filter when any left the registry, and audits each request. Call it before
 * the requests' raw IDs are dropped: the registry is keyed by the raw subject.
 */
export async function releaseOptOuts(
  deps: ReleaseDeps,
  requestIds: readonly string[],
  why: string,
): Promise<ReleaseReply> {
  const ended = new Map<string, string[][]>();
  const withoutIds: string[] = [];
  for (const id of requestIds) {
    const request = await getErasureRequest(deps.doc, deps.requestsTable, id);
    if (!request || !releasingStates.includes(request.status)) continue;
    const subjects = await readRequestIds(deps.s3, request);
    if (subjects) ended.set(id, subjects);
    else withoutIds.push(id);
  }
  const perRequest = new Map<string, { released: string[]; kept: string[] }>();
  let holders: Map<string, string> | undefined;
  for (const [requestId, subjects] of ended) {
    const outcome = { released: [] as string[], kept: [] as string[] };
    perRequest.set(requestId, outcome);
    const canonical = subjects.map((k) => canonicalSubject(k));
    const entries = await deps.registry.entries(canonical);
    for (let i = 0; i < subjects.length; i++) {
      const hash = deps.hasher.hash(subjects[i]);
      const entry = entries.get(canonical[i]);
      // Not registered (an operator opted it in already): nothing to release.
      if (!entry) continue;
      // Held by the request that registered it first, which has not ended.
      if (!ended.has(entry.requestRef)) {
        outcome.kept.push(hash);
        continue;
      }
      holders ??= await holdersByHash(deps, new Set(ended.keys()));
      const holder = holders.get(hash);
      const done = holder
        ? await deps.registry.reassign(canonical[i], entry.requestRef, holder)
        : await deps.registry.release(canonical[i], entry.requestRef);
      (holder || !done ? outcome.kept : outcome.released).push(hash);
    }
  }
  const released = [...perRequest.values()].reduce((n, o) => n + o.released.length, 0);
  const kept = [...perRequest.values()].reduce((n, o) => n + o.kept.length, 0);
  // The guard confirms every filter hit in the registry, so a released subject's data flows at once;
  // the rebuild only drops it from the filter. Its failure is said, not fatal (the next one drops it).
  let filter: { status: string; generation?: number } | undefined;
  if (released > 0)
    filter = await deps.rebuildFilter().catch((err: Error) => ({ status: `not rebuilt (${err.message})` }));
  for (const [requestId, o] of perRequest)
    await auditEach(deps, [requestId], "opt-outs-released", {
      why,
      released: o.released,
      kept: o.kept,
      filterGeneration: filter?.generation ?? null,
    });
  await auditEach(deps, withoutIds, "opt-outs-not-released", {
    why,
    problem: "the request's raw IDs were dropped already",
  });
  return {
    released,
    kept,
    withoutIds,
    ...(filter?.generation !== undefined ? { filterGeneration: filter.generation } : {}),
    message:
      `${released} subject(s) opted back in${kept ? `, ${kept} kept (another request holds them)` : ""}` +
      (filter
        ? ` (filter ${filter.status}${filter.generation !== undefined ? `, generation ${filter.generation}` : ""})`
        : "") +
      (withoutIds.length ? `; ${withoutIds.length} request(s) had no raw IDs left to release` : ""),
  };
}
