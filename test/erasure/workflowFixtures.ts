// Test-only pieces of the local workflow tests: a pyarrow-written lake (INT96, GZIP, as Firehose
// writes) in the local stack's events location, a batch of requests made with the batch module, the
// report stand-in, pyarrow's check of every version of every object, and a raw-ID sweep of every table.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { LocalStack } from "../../runtime/contracts/stack";
import { BatchTables, createBatch, getBatch, moveBatch } from "../../runtime/erasure/batches";
import { writeManifest } from "../../runtime/erasure/manifest";

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
  spec: { days: string[]; perDay: number; rows: number; customers: number; seed: number; prefix: string },
): { file: string; day: string; name: string }[] {
  return JSON.parse(
    execFileSync(python, [script, "make", dir, JSON.stringify(spec)], { maxBuffer: 1 << 26 }).toString(),
  );
}

/** pyarrow's reading of each file: rows of `ids`, and problems against its original minus those rows. */
export function pyarrowCheck(
  ids: string[],
  files: { path: string; original?: string }[],
): { matching: number; rows: number; problems: string[] }[] {
  const out = execFileSync(python, [script, "check"], {
    input: JSON.stringify({ column: "customer_id", ids, files }),
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

function idsInFiles(files: string[]): Record<string, string[]> {
  const out = execFileSync(python, [path.resolve(__dirname, "../../tools/pyarrow_lake.py")], {
    input: JSON.stringify({ column: "customer_id", keys: files, survivors: [] }),
    maxBuffer: 1 << 28,
  });
  return JSON.parse(out.toString()).keys;
}

export function tablesOf(stack: LocalStack, doc: DynamoDBDocumentClient): BatchTables {
  return { doc, ledgerTable: stack.ledgerTable, requestsTable: stack.requestsTable };
}

/** Requests (one per `perRequest` subjects) in BATCHED, the batch's manifest, and the batch record. */
export async function makeBatch(
  stack: LocalStack,
  s3: S3Client,
  t: BatchTables,
  ids: string[],
  perRequest = 25,
): Promise<{ batchId: string; deadline: string; requestIds: string[] }> {
  const batchId = `wf-${randomUUID().slice(0, 8)}`;
  const now = new Date();
  const deadline = new Date(now.getTime() + 30 * 86_400_000).toISOString();
  const requestIds: string[] = [];
  for (let i = 0; i < ids.length; i += perRequest) {
    const requestId = randomUUID();
    requestIds.push(requestId);
    await t.doc.send(
      new PutCommand({
        TableName: t.requestsTable,
        Item: {
          requestId,
          status: "BATCHED",
          batchId,
          receivedAt: now.toISOString(),
          deadline,
          subjectCount: ids.slice(i, i + perRequest).length,
        },
      }),
    );
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

/**
 * The report task until branch `report` lands (test harness only, never shipped): a verified batch
 * ends COMPLETED; a rejected one stays REJECTED.
 */
export function reportStandIn(t: BatchTables) {
  return async (input: unknown) => {
    const { batchId } = input as { batchId: string };
    const batch = await getBatch(t, batchId);
    if (batch?.status === "REJECTED") return { batchId, status: "REJECTED" };
    await moveBatch(t, batchId, "COMPLETED");
    return { batchId, status: "COMPLETED" };
  };
}

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
