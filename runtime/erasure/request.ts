// An erasure request as Lethe records it: when it arrived, the legal deadline, its state (the states
// of runtime/contracts/requests.ts, moved by stateMoves.ts), how many subjects it names and their keyed
// hashes. The raw IDs never go into the item: they are written once to S3 (SSE-KMS) under
// `erasure-requests/<requestId>/` in the lake bucket, and the item points at exactly that version.
// A completed request drops its raw IDs and gets a TTL; one that needs attention keeps them for a
// retry until its deadline plus a grace, then drops them and says so.
import { randomUUID } from "node:crypto";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ErasureState } from "../contracts/requests";
import { manifestTable, requestIdsRoot } from "../contracts/lakeSchema";
import { UsageError } from "../contracts/errors";
import { SubjectHasher, SubjectKey, canonicalSubject } from "../subjects/subjectHash";
import { ErasureSettings } from "./settings";
import { SubjectIdError, validateSubjectKeys } from "../subjects/subjectIds";
import { moveState, StateMoveTarget } from "./stateMoves";
import { clearIdempotencyRecord } from "./idempotencyRecord";
import { requestsInStatePages } from "./requestPages";

/** An S3 object version: where a request's raw IDs (or its subjects' hashes) are. */
export interface S3FileRef {
  bucket: string;
  key: string;
  versionId?: string;
}

export interface ErasureRequest {
  requestId: string;
  status: ErasureState;
  receivedAt: string;
  deadline: string;
  /** Distinct subjects the request names. */
  subjectCount: number;
  /** Keyed hashes of the subjects, when they fit the item (see `subjectHashesFile` otherwise). */
  subjectHashes?: string[];
  /** The keyed hashes of a large request's subjects (a JSON array), beside its IDs file. */
  subjectHashesFile?: S3FileRef;
  /** The raw IDs (JSON Lines `{"id": [part, ...]}`); removed with the object when the request finishes. */
  idsFile?: S3FileRef;
  requestedBy?: string;
  reason?: string;
  idempotencyKey?: string;
  batchId?: string;
  /** The s3:// URI of its report. */
  report?: string;
  /** Epoch seconds at which DynamoDB TTL may remove a finished request. */
  ttl?: number;
  /** Present once the raw IDs of an unfinished request were dropped: when and why. */
  subjectsDropped?: { at: string; reason: string };
  /** A part of a request larger than one batch (intake.ts): the request it is part of, and which part. */
  partOf?: RequestPartRef;
}

/** Where a part stands in the request it was split from: part `part` (from 1) of `parts`. */
export interface RequestPartRef {
  requestId: string;
  part: number;
  parts: number;
}

/**
 * A request larger than one batch, as the intake records it: no state of its own (so no batch ever
 * picks it: the byStatus index holds only items with a state) and no IDs, only its parts, each an
 * ordinary request of at most a batch's subjects. Its state and report are its parts' (status.ts,
 * report/parts.ts).
 */
export interface SplitRequest {
  requestId: string;
  receivedAt: string;
  deadline: string;
  subjectCount: number;
  /** The parts' request ids, in order. */
  parts: string[];
  requestedBy?: string;
  reason?: string;
}

/** True for the record of a request split into parts (it has parts and no state). */
export function isSplitRequest(item: Record<string, unknown> | undefined): boolean {
  return !!item && Array.isArray(item.parts) && item.status === undefined;
}

/** The states in which a request has failed and keeps its raw IDs only until deadline plus grace. */
export const failedStatuses: readonly ErasureState[] = ["NEEDS_ATTENTION"];

/**
 * The states in which a request ended without erasing: its raw IDs are dropped when it ends (cancel,
 * report), and the sweep drops any left past the deadline plus the grace (a crash in between).
 */
export const abandonedStatuses: readonly ErasureState[] = ["CANCELLED", "REJECTED"];

/** The states whose raw IDs the sweep drops past the deadline plus the grace. */
const sweptStatuses: readonly ErasureState[] = [...failedStatuses, ...abandonedStatuses];

/** Requests with more subjects keep their hashes in S3: 38-character hashes, well under DynamoDB's 400 KB item. */
export const maxHashesInItem = 2_000;

export interface ErasureRequestSettings {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  /** The lake bucket (the IDs files live under requestIdsRoot). */
  bucket: string;
  kmsKeyArn: string;
  erasure: ErasureSettings;
  /** The request function's idempotency table: a request's record goes with its raw IDs. */
  idempotencyTable?: string;
  now?: () => Date;
}

const dayMs = 86_400_000;

export class InvalidErasureRequest extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "InvalidErasureRequest";
  }
}

/**
 * Normalises the subjects of a request by the rules of subjectIds.ts (exact IDs, no blank parts, keys of
 * the first key's arity), duplicates removed. Every bad ID is named by its position.
 */
export function normaliseSubjects(subjects: readonly unknown[]): string[][] {
  if (subjects.length === 0)
    throw new InvalidErasureRequest("an erasure request needs at least one customer ID");
  const first = subjects[0];
  let keys: string[][];
  try {
    keys = validateSubjectKeys(subjects, Array.isArray(first) && first.length > 0 ? first.length : 1);
  } catch (err) {
    if (err instanceof SubjectIdError) throw new InvalidErasureRequest(err.message);
    throw err;
  }
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const k of keys) {
    const c = canonicalSubject(k);
    if (!seen.has(c)) {
      seen.add(c);
      out.push(k);
    }
  }
  return out;
}

export function requestIdsKey(requestId: string): string {
  return `${requestIdsRoot}${requestId}/ids.jsonl`;
}

function subjectHashesKey(requestId: string): string {
  return `${requestIdsRoot}${requestId}/subject-hashes.json`;
}

async function putKms(
  s: ErasureRequestSettings,
  key: string,
  body: string,
  type: string,
): Promise<S3FileRef> {
  const put = await s.s3.send(
    new PutObjectCommand({
      Bucket: s.bucket,
      Key: key,
      Body: body,
      ContentType: type,
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: s.kmsKeyArn,
      IfNoneMatch: "*",
    }),
  );
  return { bucket: s.bucket, key, ...(put.VersionId ? { versionId: put.VersionId } : {}) };
}

export interface NewErasureRequest {
  subjects: readonly unknown[];
  /** Given when the caller registered the subjects under this id first (the intake does). */
  requestId?: string;
  requestedBy?: string;
  reason?: string;
  idempotencyKey?: string;
  /** Given for a part of a request larger than one batch. */
  partOf?: RequestPartRef;
}

/** Records a request in RECEIVED: its IDs file first (so an item never points at nothing), then the item. */
export async function recordErasureRequest(
  settings: ErasureRequestSettings,
  hasher: SubjectHasher,
  input: NewErasureRequest | readonly SubjectKey[],
): Promise<{ request: ErasureRequest; subjects: string[][] }> {
  const given: NewErasureRequest = Array.isArray(input)
    ? { subjects: input as readonly SubjectKey[] }
    : (input as NewErasureRequest);
  const keys = normaliseSubjects(given.subjects);
  const now = (settings.now ?? (() => new Date()))();
  const requestId = given.requestId ?? randomUUID();
  const idsFile = await putKms(
    settings,
    requestIdsKey(requestId),
    keys.map((parts) => JSON.stringify({ [manifestTable.idColumn]: parts })).join("\n") + "\n",
    "application/x-ndjson",
  );
  const hashes = keys.map((k) => hasher.hash(k));
  const request: ErasureRequest = {
    requestId,
    status: "RECEIVED",
    receivedAt: now.toISOString(),
    deadline: new Date(now.getTime() + settings.erasure.deadlineDays * dayMs).toISOString(),
    subjectCount: keys.length,
    ...(hashes.length <= maxHashesInItem
      ? { subjectHashes: hashes }
      : {
          subjectHashesFile: await putKms(
            settings,
            subjectHashesKey(requestId),
            JSON.stringify(hashes),
            "application/json",
          ),
        }),
    idsFile,
    ...(given.requestedBy ? { requestedBy: given.requestedBy } : {}),
    ...(given.reason ? { reason: given.reason } : {}),
    ...(given.idempotencyKey ? { idempotencyKey: given.idempotencyKey } : {}),
    ...(given.partOf ? { partOf: given.partOf } : {}),
  };
  await settings.doc.send(
    new PutCommand({
      TableName: settings.tableName,
      Item: request,
      ConditionExpression: "attribute_not_exists(requestId)",
    }),
  );
  return { request, subjects: keys };
}

/** Records the request its parts were split from (after the parts: it never points at nothing). */
export async function recordSplitRequest(
  settings: ErasureRequestSettings,
  split: SplitRequest,
): Promise<SplitRequest> {
  await settings.doc.send(
    new PutCommand({
      TableName: settings.tableName,
      Item: split,
      ConditionExpression: "attribute_not_exists(requestId)",
    }),
  );
  return split;
}

/** The request's raw IDs, from exactly the version it recorded; undefined once they were dropped. */
export async function readRequestIds(s3: S3Client, request: ErasureRequest): Promise<string[][] | undefined> {
  if (!request.idsFile) return undefined;
  const { bucket, key, versionId } = request.idsFile;
  const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const text = await o.Body!.transformToString("utf-8");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as Record<string, string[]>)[manifestTable.idColumn]);
}

/** The request's subject hashes, wherever they are kept. */
export async function readSubjectHashes(s3: S3Client, request: ErasureRequest): Promise<string[]> {
  if (request.subjectHashes) return request.subjectHashes;
  if (!request.subjectHashesFile) return [];
  const { bucket, key, versionId } = request.subjectHashesFile;
  const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return JSON.parse(await o.Body!.transformToString("utf-8")) as string[];
}

export function requestMoveTarget(tableName: string, requestId: string): StateMoveTarget {
  return { tableName, key: { requestId }, stateAttribute: "status", what: `request ${requestId}` };
}

/**
 * Moves the request to `to` (refused, StateMoveRefused, when its state does not allow it). A request
 * that ends COMPLETED drops its raw IDs and gets its TTL; one that ends NEEDS_ATTENTION after its
 * deadline plus the grace drops them at once.
 */
export async function moveErasureRequest(
  settings: ErasureRequestSettings,
  requestId: string,
  to: ErasureState,
  set: Record<string, unknown> = {},
): Promise<ErasureRequest> {
  const now = (settings.now ?? (() => new Date()))();
  const moved = (await moveState(
    settings.doc,
    requestMoveTarget(settings.tableName, requestId),
    to,
    set,
  )) as unknown as ErasureRequest;
  if (to === "COMPLETED") {
    await dropRawIds(settings, moved, now, undefined);
    return (await getErasureRequest(settings.doc, settings.tableName, requestId))!;
  }
  if (rawIdsExpired(moved, settings.erasure.failedRequestIdGraceDays, now)) {
    await dropRawIds(settings, moved, now, rawIdsDroppedReason);
    return (await getErasureRequest(settings.doc, settings.tableName, requestId))!;
  }
  return moved;
}

/**
 * Until when a request may keep its raw IDs: a failed one until its deadline plus the grace (then a
 * retry is no longer lawful to prepare); undefined for one that is still open or already has none.
 */
export function rawIdsKeptUntil(request: ErasureRequest, graceDays: number): Date | undefined {
  if (!sweptStatuses.includes(request.status) || request.idsFile === undefined) return undefined;
  return new Date(Date.parse(request.deadline) + graceDays * dayMs);
}

/** True when the request still holds raw IDs it may no longer keep. */
export function rawIdsExpired(request: ErasureRequest, graceDays: number, now: Date): boolean {
  const until = rawIdsKeptUntil(request, graceDays);
  return until !== undefined && now.getTime() >= until.getTime();
}

export const rawIdsDroppedReason = "failed request past its deadline plus the grace: raw IDs dropped";
export const cancelledIdsDroppedReason = "cancelled: raw IDs dropped";

/** What dropping a request's raw IDs needs. */
export type RawIdSettings = Pick<
  ErasureRequestSettings,
  "doc" | "s3" | "tableName" | "erasure" | "now" | "idempotencyTable"
>;

/**
 * Drops the raw IDs of a request that has ended (every version of its IDs file, the pointer) and sets
 * its TTL, saying why; false when it has none left or moved on meanwhile.
 */
export async function dropEndedRequestIds(
  settings: RawIdSettings,
  requestId: string,
  reason: string,
): Promise<boolean> {
  const request = await getErasureRequest(settings.doc, settings.tableName, requestId);
  if (!request) return false;
  return dropRawIds(settings, request, (settings.now ?? (() => new Date()))(), reason);
}

/** Deletes every version of the object (the IDs must not survive as a noncurrent version). */
export async function deleteEveryVersion(s3: S3Client, bucket: string, key: string): Promise<number> {
  let deleted = 0;
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, KeyMarker, VersionIdMarker }),
    );
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((v) => v.Key === key)
      .map((v) => ({ Key: key, VersionId: v.VersionId }));
    if (objects.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
      deleted += objects.length;
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return deleted;
}

/**
 * Drops the request's raw IDs: every version of its IDs file, then the pointer, and sets its TTL. With
 * a reason (an unfinished request), only a request still in the state it was read in, and says why.
 */
async function dropRawIds(
  settings: RawIdSettings,
  request: ErasureRequest,
  now: Date,
  reason: string | undefined,
): Promise<boolean> {
  if (!request.idsFile) return false;
  await deleteEveryVersion(settings.s3, request.idsFile.bucket, request.idsFile.key);
  if (settings.idempotencyTable && request.idempotencyKey)
    await clearIdempotencyRecord(settings.doc, settings.idempotencyTable, request.idempotencyKey);
  const ttl = Math.floor(now.getTime() / 1000) + settings.erasure.requestRetentionDays * 86_400;
  try {
    await settings.doc.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: { requestId: request.requestId },
        // A retry that moved the request on in the meantime keeps its state; the IDs are gone either way.
        ConditionExpression: "#s = :s AND attribute_exists(idsFile)",
        UpdateExpression: `SET #ttl = :ttl${reason ? ", subjectsDropped = :d" : ""} REMOVE idsFile`,
        ExpressionAttributeNames: { "#s": "status", "#ttl": "ttl" },
        ExpressionAttributeValues: {
          ":s": request.status,
          ":ttl": ttl,
          ...(reason ? { ":d": { at: now.toISOString(), reason } } : {}),
        },
      }),
    );
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

/**
 * Drops the raw IDs of every failed, cancelled or rejected request past its deadline plus the grace
 * (the requests table's byStatus index, ordered by deadline). Returns the requests it changed. The
 * deadline function runs it on its schedule (runtime/handlers/deadline.ts).
 */
export async function sweepFailedRequestIds(settings: RawIdSettings): Promise<string[]> {
  const now = (settings.now ?? (() => new Date()))();
  const cutoff = new Date(now.getTime() - settings.erasure.failedRequestIdGraceDays * dayMs);
  const dropped: string[] = [];
  for (const status of sweptStatuses) {
    const due = { deadlineUpTo: cutoff.toISOString() };
    for await (const page of requestsInStatePages<ErasureRequest>(
      settings.doc,
      settings.tableName,
      status,
      due,
    ))
      for (const r of page) {
        if (!rawIdsExpired(r, settings.erasure.failedRequestIdGraceDays, now)) continue;
        if (await dropRawIds(settings, r, now, rawIdsDroppedReason)) dropped.push(r.requestId);
      }
  }
  return dropped;
}

/** The parts of a request split at intake, in order; a part that does not exist is an error naming it. */
export async function getRequestParts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  split: Pick<SplitRequest, "requestId" | "parts">,
): Promise<ErasureRequest[]> {
  const parts: ErasureRequest[] = [];
  for (const partId of split.parts) {
    const part = await getErasureRequest(doc, tableName, partId);
    if (!part) throw new Error(`request ${split.requestId}: its part ${partId} does not exist`);
    parts.push(part);
  }
  return parts;
}

export async function getErasureRequest(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requestId: string,
): Promise<ErasureRequest | undefined> {
  const r = await doc.send(
    new GetCommand({ TableName: tableName, Key: { requestId }, ConsistentRead: true }),
  );
  return r.Item as ErasureRequest | undefined;
}
