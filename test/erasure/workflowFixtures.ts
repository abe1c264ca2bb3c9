// Test-only pieces of the local workflow tests: a pyarrow-written lake (INT96, GZIP, as Firehose
// writes) in the local stack's events location, a batch of requests made with the batch module, the
// report stand-in, pyarrow's check of every version of every object, and a raw-ID sweep of every table.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { LocalStack } from "../../runtime/contracts/stack";
import { BatchTables, createBatch } from "../../runtime/erasure/batches";
import { writeManifest } from "../../runtime/erasure/manifest";
import { moveErasureRequest, recordErasureRequest } from "../../runtime/erasure/request";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/subjects/subjectHash";
import { makeKmsClient } from "../../runtime/aws/clients";

const python = path.resolve(__dirname, "../../.venv/bin/python");
const script = path.join(__dirname, "workflow_lake.py");

export interface LakeObject {
  key: string;
  /** The file pyarrow wrote (the object's first version). */
  file: string;
  ids: Set<string>;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "lethe-workflow-"));
}

export function pyarrowFiles(
  dir: string,
  spec: {
    days: string[];
    perDay: number;
    rows: number;
    customers: number;
    seed: number;
    prefix: string;
    /** The first customer number (default 0): lakes of their own IDs in the shared stack. */
    firstCustomer?: number;
  },
): { file: string; day: string; name: string }[] {
  return JSON.parse(
    execFileSync(python, [script, "make", dir, JSON.stringify(spec)], { maxBuffer: 1 << 26 }).toString(),
  );
}

/** pyarrow's reading of each file: rows of `ids`, and problems against its original minus those rows. */
export function pyarrowCheck(
  ids: string[],
  files: { path: string; original?: string; removed?: string[] }[],
  removed: string[] = ids,
): { matching: number; rows: number; problems: string[] }[] {
  const out = execFileSync(python, [script, "check"], {
    input: JSON.stringify({ column: "customer_id", ids, removed, files }),
    maxBuffer: 1 << 28,
  });
  return JSON.parse(out.toString());
}

/** Writes a lake under `events/dt=<day>/` and reads back which customers each object holds. */
export async function writeLake(
  s3: S3Client,
  bucket: string,
  dir: string,
  spec: { days: string[]; perDay: number; rows: number; customers: number; seed: number; prefix: string },
): Promise<LakeObject[]> {
  const files = pyarrowFiles(dir, spec);
  const objects: LakeObject[] = [];
  const idsOf = idsInFiles(files.map((f) => f.file));
  for (const f of files) {
    const key = `events/dt=${f.day}/${f.name}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(f.file) }));
    objects.push({ key, file: f.file, ids: new Set(idsOf[f.file]) });
  }
  return objects;
}

/** The customers each file holds, as pyarrow reads them. */
export function idsInFiles(files: string[]): Record<string, string[]> {
  const out = execFileSync(python, [path.resolve(__dirname, "../../local/fixtures/pyarrow_lake.py")], {
    input: JSON.stringify({ column: "customer_id", keys: files, survivors: [] }),
    maxBuffer: 1 << 28,
  });
  return JSON.parse(out.toString()).keys;
}

export function tablesOf(stack: LocalStack, doc: DynamoDBDocumentClient): BatchTables {
  return { doc, ledgerTable: stack.ledgerTable, requestsTable: stack.requestsTable };
}

/**
 * Requests (one per `perRequest` subjects) recorded as the intake records them (IDs file, keyed
 * hashes), moved to BATCHED; the batch's manifest; and the batch record.
 */
export async function makeBatch(
  stack: LocalStack,
  s3: S3Client,
  t: BatchTables,
  ids: string[],
  perRequest = 25,
): Promise<{ batchId: string; deadline: string; requestIds: string[] }> {
  const batchId = `wf-${randomUUID().slice(0, 8)}`;
  const now = new Date();
  hasher ??= loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
  const settings = {
    doc: t.doc,
    s3,
    tableName: t.requestsTable,
    bucket: stack.lakeBucket,
    kmsKeyArn: stack.kmsKeyArn,
    erasure: stack.erasureSettings,
    now: () => now,
  };
  const requestIds: string[] = [];
  let deadline = "";
  for (let i = 0; i < ids.length; i += perRequest) {
    const { request } = await recordErasureRequest(settings, await hasher, ids.slice(i, i + perRequest));
    await moveErasureRequest(settings, request.requestId, "BATCHED", { batchId });
    requestIds.push(request.requestId);
    deadline = request.deadline;
  }
  const manifest = await writeManifest(s3, {
    bucket: stack.lakeBucket,
    batchId,
    keys: ids.map((id) => [id]),
    kmsKeyArn: stack.kmsKeyArn,
  });
  await createBatch(t, {
    batchId,
    requestIds,
    subjectCount: ids.length,
    manifest,
    deadline,
    createdAt: now.toISOString(),
  });
  return { batchId, deadline, requestIds };
}

let hasher: Promise<SubjectHasher> | undefined;

/** Every version of `key`, downloaded. */
export async function versionFiles(
  s3: S3Client,
  bucket: string,
  key: string,
  dir: string,
): Promise<string[]> {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const out: string[] = [];
  for (const v of (listed.Versions ?? []).filter((x) => x.Key === key)) {
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: v.VersionId }));
    const file = path.join(dir, `${randomUUID()}.parquet`);
    fs.writeFileSync(file, await body.Body!.transformToByteArray());
    out.push(file);
  }
  return out;
}

/** Every item of every one of the stack's tables, as JSON text, for a raw-ID sweep. */
export async function everyItem(stack: LocalStack, doc: DynamoDBDocumentClient): Promise<string[]> {
  const tables = [
    stack.requestsTable,
    stack.ledgerTable,
    stack.indexTable,
    stack.errorsTable,
    stack.auditTable,
    stack.locksTable,
  ];
  const out: string[] = [];
  for (const TableName of tables) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) out.push(JSON.stringify(item));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return out;
}

/**
 * Writes `body` at `key` as a bucket holds an object written before versioning was turned on: the
 * version `null` (versioning suspended for the write, then enabled again).
 */
export async function putNullVersion(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array,
): Promise<void> {
  const versioning = (Status: "Enabled" | "Suspended") =>
    s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status } }));
  await versioning("Suspended");
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } finally {
    await versioning("Enabled");
  }
}
