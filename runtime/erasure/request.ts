// An erasure request as Lethe records it: who (raw keys, kept only while the work is open), when it
// arrived, the legal deadline, and its state. Finished requests drop the raw keys and get a TTL.
import { randomUUID } from "node:crypto";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { SubjectKey, canonicalSubject, subjectHash } from "./subjectHash";
import { SubjectIdError, validateSubjectKeys } from "./subjectIds";

export type ErasureStatus = "RECEIVED" | "PURGING" | "VERIFIED" | "FAILED";

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
}

export interface ErasureRequestSettings {
  tableName: string;
  deadlineDays: number;
  retentionDays: number;
  now?: () => Date;
}

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
  subjects: readonly SubjectKey[],
): Promise<ErasureRequest> {
  const keys = normaliseSubjects(subjects);
  const now = (settings.now ?? (() => new Date()))();
  const request: ErasureRequest = {
    requestId: randomUUID(),
    subjects: keys,
    subjectHashes: keys.map((k) => subjectHash(k)),
    receivedAt: now.toISOString(),
    deadline: new Date(now.getTime() + settings.deadlineDays * 86_400_000).toISOString(),
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
  const finished = status === "VERIFIED";
  const now = (settings.now ?? (() => new Date()))();
  await doc.send(
    new UpdateCommand({
      TableName: settings.tableName,
      Key: { requestId },
      ConditionExpression: "attribute_exists(requestId)",
      // A verified request no longer needs the raw IDs: keep only hashes, and let TTL expire it.
      UpdateExpression: finished ? "SET #s = :s, #ttl = :ttl REMOVE subjects" : "SET #s = :s",
      ExpressionAttributeNames: finished ? { "#s": "status", "#ttl": "ttl" } : { "#s": "status" },
      ExpressionAttributeValues: finished
        ? { ":s": status, ":ttl": Math.floor(now.getTime() / 1000) + settings.retentionDays * 86_400 }
        : { ":s": status },
    }),
  );
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
