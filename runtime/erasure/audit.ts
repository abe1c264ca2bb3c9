// The audit trail: one item per step of an erasure, keyed by request and time, holding hashed
// subjects and object locations only, never a raw customer ID. A step whose detail would not fit in a
// DynamoDB item (400 KB: a batch of 10,000 hashed subjects does not) keeps its detail in S3 (KMS)
// and a pointer in the item (with its SHA-256); readAudit puts it back. Each entry carries the hash of
// the request's entry before it (auditChain.ts): `lethe audit verify` walks the chain.
import { createHash } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ErasureSettings } from "./settings";
import { dynamoItemBytes } from "./itemSize";
import { auditEntryHash, auditGenesisHash } from "./auditChain";

export interface AuditEntry {
  requestId: string;
  /** ISO time plus a monotonic-clock suffix, so two steps in one millisecond keep their order. */
  at: string;
  step: string;
  detail: Record<string, unknown>;
  /** Where the detail is when it was too large for the item (then `detail` is `{}` in the table). */
  detailObject?: { bucket: string; key: string; versionId?: string; bytes: number; sha256?: string };
  ttl: number;
  /** `sha256:<hex>` of the request's entry before this one as stored (auditChain.ts), or the genesis value. */
  previousHash?: string;
}

/** Where details too large for an item go: a KMS-encrypted bucket whose objects expire with the audit. */
export interface AuditOverflow {
  s3: S3Client;
  bucket: string;
  /** Key prefix ending in "/" (default "audit/"). */
  prefix?: string;
  kmsKeyArn?: string;
}

export interface AuditSettings {
  tableName: string;
  erasure: Pick<ErasureSettings, "auditRetentionDays">;
  overflow: AuditOverflow;
  /** Largest item written as is; DynamoDB's limit is 409,600 bytes, this leaves room for its overheads. */
  maxItemBytes?: number;
  now?: () => Date;
}

export const defaultMaxAuditItemBytes = 350_000;

export async function appendAudit(
  doc: DynamoDBDocumentClient,
  settings: AuditSettings,
  requestId: string,
  step: string,
  detail: Record<string, unknown>,
): Promise<AuditEntry> {
  const now = (settings.now ?? (() => new Date()))();
  const entry: AuditEntry = {
    requestId,
    // No module-level counter: runtime modules are serialized by value into Lambdas (docs/lambda-functions.md).
    at: `${now.toISOString()}#${process.hrtime.bigint().toString().padStart(20, "0")}`,
    step,
    detail,
    ttl: Math.floor(now.getTime() / 1000) + settings.erasure.auditRetentionDays * 86_400,
    previousHash: await headHash(doc, settings.tableName, requestId),
  };
  let item: AuditEntry = entry;
  if (dynamoItemBytes(entry) > (settings.maxItemBytes ?? defaultMaxAuditItemBytes)) {
    item = { ...entry, detail: {}, detailObject: await storeDetail(settings.overflow, entry) };
  }
  await doc.send(new PutCommand({ TableName: settings.tableName, Item: item }));
  return { ...entry, ...(item.detailObject ? { detailObject: item.detailObject } : {}) };
}

/** The hash of the request's last entry as stored, or the genesis value for its first. */
async function headHash(doc: DynamoDBDocumentClient, tableName: string, requestId: string): Promise<string> {
  const last = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "requestId = :r",
      ExpressionAttributeValues: { ":r": requestId },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const item = last.Items?.[0];
  return item ? auditEntryHash(item) : auditGenesisHash;
}

async function storeDetail(o: AuditOverflow, entry: AuditEntry): Promise<AuditEntry["detailObject"]> {
  const body = Buffer.from(JSON.stringify(entry.detail));
  const key = `${o.prefix ?? "audit/"}${entry.requestId}/${entry.at.replace(/[^0-9A-Za-z.-]/g, "_")}-${entry.step}.json`;
  const out = await o.s3.send(
    new PutObjectCommand({
      Bucket: o.bucket,
      Key: key,
      Body: body,
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      ...(o.kmsKeyArn ? { SSEKMSKeyId: o.kmsKeyArn, BucketKeyEnabled: true } : {}),
    }),
  );
  return {
    bucket: o.bucket,
    key,
    ...(out.VersionId ? { versionId: out.VersionId } : {}),
    bytes: body.length,
    sha256: `sha256:${createHash("sha256").update(body).digest("hex")}`,
  };
}

/** Every step of a request in order; with an S3 client, details kept in S3 are read back into `detail`. */
export async function readAudit(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requestId: string,
  s3?: S3Client,
): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "requestId = :r",
        ExpressionAttributeValues: { ":r": requestId },
        ExclusiveStartKey,
        ConsistentRead: true,
      }),
    );
    out.push(...((page.Items ?? []) as AuditEntry[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return s3 ? withStoredDetails(out, s3) : out;
}

/**
 * Copies of `entries` with each detail kept in S3 read back into `detail`; the entries themselves stay
 * as stored (what the audit chain hashes), so one read serves the chain check and the report.
 */
export async function withStoredDetails(entries: readonly AuditEntry[], s3: S3Client): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (const e of entries) {
    if (!e.detailObject) {
      out.push({ ...e });
      continue;
    }
    const { bucket, key, versionId } = e.detailObject;
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    out.push({ ...e, detail: JSON.parse(await obj.Body!.transformToString("utf8")) });
  }
  return out;
}
