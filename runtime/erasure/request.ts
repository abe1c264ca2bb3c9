// An erasure request as Lethe records it: who (raw keys, kept only while the work is open), when it
// arrived, the legal deadline, and its state. Verified requests drop the raw keys and get a TTL; failed
// ones keep them for a retry until the deadline plus a grace, then drop them and say so.
import { randomUUID } from "node:crypto";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { SubjectHasher, SubjectKey, canonicalSubject } from "./subjectHash";
import { ErasureSettings } from "./settings";
import { SubjectIdError, validateSubjectKeys } from "./subjectIds";

export type ErasureStatus = "RECEIVED" | "PURGING" | "VERIFIED" | "FAILED";

/** The states in which a request has failed and keeps its raw IDs only until deadline plus grace. */
export const failedStatuses: readonly ErasureStatus[] = ["FAILED"];

export interface ErasureRequest {
  requestId: string;
  /** Raw customer keys; removed when the request finishes. */
  subjects?: string[][];
  /** Keyed hashes of the subjects: what reports and the audit trail show. */
  subjectHashes: string[];
  receivedAt: string;
  deadline: string;
  status: ErasureStatus;
  /** Epoch seconds at which DynamoDB TTL may remove a finished request. */
  ttl?: number;
  /** Present once the raw IDs of an unfinished request were dropped: when and why. */
  subjectsDropped?: { at: string; reason: string };
}

export interface ErasureRequestSettings {
  tableName: string;
  erasure: ErasureSettings;
  now?: () => Date;
}

const dayMs = 86_400_000;

export class InvalidErasureRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidErasureRequest";
  }
}

/**
 * Normalises the subjects of a request by the rules of subjectIds.ts (exact IDs, no blank parts, keys of
 * the first key's arity), duplicates removed.
 */
export function normaliseSubjects(subjects: readonly SubjectKey[]): string[][] {
  if (subjects.length === 0)
    throw new InvalidErasureRequest("an erasure request needs at least one customer ID");
  const first = subjects[0];
  let keys: string[][];
  try {
    keys = validateSubjectKeys(subjects, typeof first === "string" ? 1 : first.length);
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

export async function recordErasureRequest(
  doc: DynamoDBDocumentClient,
  settings: ErasureRequestSettings,
  hasher: SubjectHasher,
  subjects: readonly SubjectKey[],
): Promise<ErasureRequest> {
  const keys = normaliseSubjects(subjects);
  const now = (settings.now ?? (() => new Date()))();
  const request: ErasureRequest = {
    requestId: randomUUID(),
    subjects: keys,
    subjectHashes: keys.map((k) => hasher.hash(k)),
    receivedAt: now.toISOString(),
    deadline: new Date(now.getTime() + settings.erasure.deadlineDays * dayMs).toISOString(),
    status: "RECEIVED",
  };
  await doc.send(
    new PutCommand({
      TableName: settings.tableName,
      Item: request,
      ConditionExpression: "attribute_not_exists(requestId)",
    }),
  );
  return request;
}

export async function markErasureStatus(
  doc: DynamoDBDocumentClient,
  settings: ErasureRequestSettings,
  requestId: string,
  status: ErasureStatus,
): Promise<void> {
  const now = (settings.now ?? (() => new Date()))();
  const ttl = Math.floor(now.getTime() / 1000) + settings.erasure.requestRetentionDays * 86_400;
  if (status === "VERIFIED") {
    // A verified request no longer needs the raw IDs: keep only hashes, and let TTL expire it.
    await doc.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: { requestId },
        ConditionExpression: "attribute_exists(requestId)",
        UpdateExpression: "SET #s = :s, #ttl = :ttl REMOVE subjects",
        ExpressionAttributeNames: { "#s": "status", "#ttl": "ttl" },
        ExpressionAttributeValues: { ":s": status, ":ttl": ttl },
      }),
    );
    return;
  }
  const r = await doc.send(
    new UpdateCommand({
      TableName: settings.tableName,
      Key: { requestId },
      ConditionExpression: "attribute_exists(requestId)",
      UpdateExpression: "SET #s = :s",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":s": status },
      ReturnValues: "ALL_NEW",
    }),
  );
  // A request that fails after its deadline plus the grace has no time left to keep raw IDs.
  const updated = r.Attributes as ErasureRequest | undefined;
  if (updated && rawIdsExpired(updated, settings.erasure.failedRequestIdGraceDays, now)) {
    await dropRawIds(doc, settings, updated, now);
  }
}

/**
 * Until when a request may keep its raw IDs: a failed one until its deadline plus the grace (then a
 * retry is no longer lawful to prepare); undefined for one that is still open or already has none.
 */
export function rawIdsKeptUntil(request: ErasureRequest, graceDays: number): Date | undefined {
  if (!failedStatuses.includes(request.status) || request.subjects === undefined) return undefined;
  return new Date(Date.parse(request.deadline) + graceDays * dayMs);
}

/** True when the request still holds raw IDs it may no longer keep. */
export function rawIdsExpired(request: ErasureRequest, graceDays: number, now: Date): boolean {
  const until = rawIdsKeptUntil(request, graceDays);
  return until !== undefined && now.getTime() >= until.getTime();
}

export const rawIdsDroppedReason = "failed request past its deadline plus the grace: raw IDs dropped";

async function dropRawIds(
  doc: DynamoDBDocumentClient,
  settings: ErasureRequestSettings,
  request: ErasureRequest,
  now: Date,
): Promise<boolean> {
  try {
    await doc.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: { requestId: request.requestId },
        // Only the failed request that still holds IDs: a retry that moved it on keeps them.
        ConditionExpression: "#s = :failed AND attribute_exists(subjects)",
        UpdateExpression: "SET subjectsDropped = :d, #ttl = :ttl REMOVE subjects",
        ExpressionAttributeNames: { "#s": "status", "#ttl": "ttl" },
        ExpressionAttributeValues: {
          ":failed": request.status,
          ":d": { at: now.toISOString(), reason: rawIdsDroppedReason },
          ":ttl": Math.floor(now.getTime() / 1000) + settings.erasure.requestRetentionDays * 86_400,
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
 * Drops the raw IDs of every failed request past its deadline plus the grace (the requests table's
 * byStatus index, ordered by deadline). Returns the requests it changed. Run on a schedule.
 */
export async function sweepFailedRequestIds(
  doc: DynamoDBDocumentClient,
  settings: ErasureRequestSettings,
): Promise<string[]> {
  const now = (settings.now ?? (() => new Date()))();
  const cutoff = new Date(now.getTime() - settings.erasure.failedRequestIdGraceDays * dayMs);
  const dropped: string[] = [];
  for (const status of failedStatuses) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: settings.tableName,
          IndexName: "byStatus",
          KeyConditionExpression: "#s = :failed AND deadline <= :cutoff",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":failed": status, ":cutoff": cutoff.toISOString() },
          ExclusiveStartKey,
        }),
      );
      for (const r of (page.Items ?? []) as ErasureRequest[]) {
        if (!rawIdsExpired(r, settings.erasure.failedRequestIdGraceDays, now)) continue;
        if (await dropRawIds(doc, settings, r, now)) dropped.push(r.requestId);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return dropped;
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
