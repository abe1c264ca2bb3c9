// A batch at the point where the state machine reaches Report, made in a stack's tables and buckets
// with Lethe's own modules, as the intake and the workflow's tasks leave it: requests whose raw IDs
// live in ID files (one with a noncurrent version and a legacy `subjects` attribute), the batch
// manifest (and an overwritten version of it), steps recorded on the batch, the forget ledger's
// outcomes and counters, a store's outcome, and the audit trail. For the report task's tests, the
// report function's packaged run, `lethe report`'s tests and the certificate screenshot.
import { randomUUID } from "node:crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { requestIdsRoot } from "../runtime/contracts/lakeSchema";
import type { ReportTarget } from "../runtime/contracts/report";
import { appendAudit, AuditSettings } from "../runtime/erasure/audit";
import { BatchTables, createBatch, moveBatch, recordStep } from "../runtime/erasure/batches";
import { ForgetLedger } from "../runtime/erasure/forget/ledger";
import { batchPartitionKey, summarySortKey } from "../runtime/erasure/forget/ledger";
import { writeManifest } from "../runtime/erasure/manifest";
import { writePlan } from "../runtime/erasure/plan";
import { loadSubjectHasher, SubjectHasher } from "../runtime/erasure/subjectHash";
import type { ReportTaskDeps, ReportTaskInput } from "../runtime/erasure/workflow/tasks/report";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../runtime/aws/clients";
import type { LocalStack } from "../runtime/contracts/stack";

export interface SampleBatchStack {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  tables: BatchTables;
  audit: AuditSettings;
  lakeBucket: string;
  kmsKeyArn: string;
  hasher: SubjectHasher;
}

export interface SampleBatch {
  batchId: string;
  requestIds: string[];
  /** The raw IDs of each request (only the test knows them: they must be gone afterwards). */
  subjects: string[][];
  /** Every S3 key that held raw IDs. */
  rawIdKeys: string[];
  manifestPrefix: string;
  /** The state the state machine hands the Report state. */
  state: ReportTaskInput;
  /** The ledger's totals, by mapper (what the report must show). */
  ledger: Record<string, { objects: number; versions: number; rows: number }>;
  bytesScanned: Record<string, number>;
  storeOutcomes: Record<string, ReportTarget>;
}

export interface SampleBatchOptions {
  /**
   * `verified` (VERIFYING, verify.hits 0), `nothing-found` (verified, but find found no object and the
   * store no row: the subjects had no data anywhere) or `rejected` (a person rejected the plan).
   */
  ending: "verified" | "nothing-found" | "rejected";
  /** Subjects per request (two requests). */
  subjectsPerRequest?: number;
  /** Prepended to the raw IDs, e.g. a string a renderer must escape. */
  idPrefix?: string;
}

/** The report task's dependencies over a local stack (and a report bucket), and what seeding needs. */
export async function sampleReportSetup(
  stack: LocalStack,
  reportBucket: string,
): Promise<{ deps: ReportTaskDeps; seedStack: SampleBatchStack; hasher: SubjectHasher }> {
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
  const erasure = stack.erasureSettings;
  const audit = {
    tableName: stack.auditTable,
    erasure,
    overflow: { s3, bucket: stack.auditBucket, kmsKeyArn: stack.kmsKeyArn },
  };
  const tables = { doc, ledgerTable: stack.ledgerTable, requestsTable: stack.requestsTable };
  return {
    hasher,
    deps: {
      ...tables,
      s3,
      audit,
      reportBucket: { bucket: reportBucket, kmsKeyArn: stack.kmsKeyArn },
      erasure,
      hasher: async () => hasher,
    },
    seedStack: { doc, s3, tables, audit, lakeBucket: stack.lakeBucket, kmsKeyArn: stack.kmsKeyArn, hasher },
  };
}

const iso = (t: number) => new Date(t).toISOString();

/** An audit entry at the sample's own time, so the trail and the steps tell one story. */
function auditAt(s: SampleBatchStack, t: number): SampleBatchStack["audit"] {
  return { ...s.audit, now: () => new Date(t) };
}

export async function seedSampleBatch(s: SampleBatchStack, o: SampleBatchOptions): Promise<SampleBatch> {
  const run = randomUUID().slice(0, 8);
  const batchId = `b-${run}`;
  const n = o.subjectsPerRequest ?? 3;
  const subjects = [0, 1].map((r) =>
    Array.from({ length: n }, (_, i) => `${o.idPrefix ?? "cust"}-${run}-${r}-${i}`),
  );
  // Received two days ago, so the report's own steps (now) come after the sample's.
  const t0 = Math.floor((Date.now() - 2 * 86_400_000) / 60_000) * 60_000;
  const requestIds = [`req-${run}-a`, `req-${run}-b`];
  const rawIdKeys: string[] = [];

  for (let r = 0; r < 2; r++) {
    // As the intake lays them out: `erasure-requests/<requestId>/ids.jsonl`.
    const key = `${requestIdsRoot}${requestIds[r]}/ids.jsonl`;
    const body = subjects[r].map((id) => JSON.stringify({ id: [id] })).join("\n") + "\n";
    const put = async (text: string) =>
      s.s3.send(
        new PutObjectCommand({
          Bucket: s.lakeBucket,
          Key: key,
          Body: text,
          ServerSideEncryption: "aws:kms",
          SSEKMSKeyId: s.kmsKeyArn,
        }),
      );
    // The first request's file was rewritten once: a noncurrent version holds IDs too.
    if (r === 0) await put(body.split("\n")[0] + "\n");
    const file = await put(body);
    rawIdKeys.push(key);
    await s.doc.send(
      new PutCommand({
        TableName: s.tables.requestsTable,
        Item: {
          requestId: requestIds[r],
          status: "BATCHED",
          batchId,
          receivedAt: iso(t0 + r * 60_000),
          deadline: iso(t0 + 30 * 86_400_000),
          subjectCount: n,
          requestedBy: r === 0 ? "dpo@example.com" : "privacy-desk",
          reason: "GDPR Art. 17 request",
          idsFile: { bucket: s.lakeBucket, key, ...(file.VersionId ? { versionId: file.VersionId } : {}) },
          // The second one holds its hashes (the first's come from its ID file) and a legacy raw attribute.
          ...(r === 1
            ? {
                subjectHashes: subjects[r].map((id) => s.hasher.hash(id)),
                subjects: subjects[r].map((id) => [id]),
              }
            : {}),
        },
      }),
    );
    await appendAudit(s.doc, auditAt(s, t0 + r * 60_000), requestIds[r], "recorded", {
      subjects: subjects[r].map((id) => s.hasher.hash(id)),
      deadline: iso(t0 + 30 * 86_400_000),
    });
  }

  const manifest = await writeManifest(s.s3, {
    bucket: s.lakeBucket,
    batchId,
    keys: subjects.flat().map((id) => [id]),
    kmsKeyArn: s.kmsKeyArn,
  });
  // A stray second version of the manifest (say, a rewrite before versioning was noticed).
  await s.s3.send(
    new PutObjectCommand({
      Bucket: s.lakeBucket,
      Key: manifest.key,
      Body: `${JSON.stringify({ id: [subjects[0][0]] })}\n`,
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: s.kmsKeyArn,
    }),
  );
  rawIdKeys.push(manifest.key);
  await createBatch(s.tables, {
    batchId,
    requestIds,
    subjectCount: 2 * n,
    manifest,
    deadline: iso(t0 + 30 * 86_400_000),
    createdAt: iso(t0 + 3_600_000),
    executionId: `exec-${batchId}`,
  });
  await moveBatch(s.tables, batchId, "FINDING");
  const bytesScanned = { events: 52_428_800, clicks: 1_048_576 };
  const found = o.ending !== "nothing-found";
  const planSummary = {
    batchId,
    objects: found ? 5 : 0,
    versions: found ? 7 : 0,
    expectedRows: found ? 40 : 0,
    bytesScanned: bytesScanned.events + bytesScanned.clicks,
    mappers: [
      { mapper: "events", objects: 4, versions: 6, expectedRows: 36, bytesScanned: bytesScanned.events },
      { mapper: "clicks", objects: 1, versions: 1, expectedRows: 4, bytesScanned: bytesScanned.clicks },
    ].map((m) => (found ? m : { ...m, objects: 0, versions: 0, expectedRows: 0 })),
  };
  // Find's plan on S3, and what the find task hands on as `$.plan`: its location and totals.
  const obj = (key: string, versionIds: string[], expectedRows: number, current = true) => ({
    bucket: s.lakeBucket,
    key,
    current,
    versionIds,
    expectedRows,
  });
  const planRef = await writePlan(
    s.s3,
    { bucket: s.lakeBucket, kmsKeyArn: s.kmsKeyArn },
    {
      batchId,
      manifest,
      createdAt: iso(t0 + 3_612_000),
      mappers: [
        {
          mapper: "events",
          bytesScanned: bytesScanned.events,
          objects: found
            ? [
                obj("events/dt=2027-02-27/part-0.parquet", ["v1", "v2"], 12),
                obj("events/dt=2027-02-28/part-0.parquet", ["v1", "v2"], 15),
                obj("events/dt=2027-02-28/part-1.parquet", ["v1"], 9),
                obj("events/dt=2027-03-01/part-0.parquet", [], 0),
              ]
            : [],
        },
        {
          mapper: "clicks",
          bytesScanned: bytesScanned.clicks,
          objects: found ? [obj("clicks/dt=2027-02-28/part-0.json", ["v1"], 4)] : [],
        },
      ],
    },
  );
  const planState = {
    batchId,
    round: 0,
    location: planRef,
    objects: planSummary.objects,
    versions: planSummary.versions,
    expectedRows: planSummary.expectedRows,
    bytesScanned: planSummary.bytesScanned,
    mappers: planSummary.mappers.length,
  };
  await recordStep(s.tables, batchId, "find", {
    startedAt: iso(t0 + 3_600_000),
    endedAt: iso(t0 + 3_612_000),
    counts: {
      objects: planSummary.objects,
      versions: planSummary.versions,
      bytesScanned: planSummary.bytesScanned,
    },
  });
  for (const r of requestIds)
    await appendAudit(s.doc, auditAt(s, t0 + 3_612_000), r, "found", {
      batchId,
      objects: 5,
      versions: 7,
      rows: 40,
    });

  const storeOutcomes: Record<string, ReportTarget> = {
    "orders-db": found
      ? { kind: "postgres", name: "orders-db", outcome: "erased", rowsRemoved: 6 }
      : { kind: "postgres", name: "orders-db", outcome: "nothing-found", rowsRemoved: 0 },
  };
  const ledger: SampleBatch["ledger"] = {};
  if (o.ending === "rejected") {
    await moveBatch(s.tables, batchId, "AWAITING_APPROVAL", {
      approval: { taskToken: `token-${run}`, requestedAt: iso(t0 + 3_613_000) },
    });
    await recordStep(s.tables, batchId, "approval", { startedAt: iso(t0 + 3_613_000) });
    return {
      batchId,
      requestIds,
      subjects,
      rawIdKeys,
      manifestPrefix: manifest.key.slice(0, manifest.key.lastIndexOf("/") + 1),
      state: { batchId, deadline: iso(t0 + 30 * 86_400_000), round: 0, plan: planState },
      ledger,
      bytesScanned,
      storeOutcomes: {},
    };
  }

  await moveBatch(s.tables, batchId, "FORGETTING");
  const forget = new ForgetLedger(s.doc, s.tables.ledgerTable);
  const objects = [
    { mapper: "events", key: "events/dt=2027-02-27/part-0.parquet", rows: 12, versions: 2 },
    { mapper: "events", key: "events/dt=2027-02-28/part-0.parquet", rows: 15, versions: 2 },
    { mapper: "events", key: "events/dt=2027-02-28/part-1.parquet", rows: 9, versions: 1 },
    { mapper: "events", key: "events/dt=2027-03-01/part-0.parquet", rows: 0, versions: 0 },
    { mapper: "clicks", key: "clicks/dt=2027-02-28/part-0.json", rows: 4, versions: 1 },
  ].filter(() => found);
  for (const [i, x] of objects.entries()) {
    await forget.recordSuccess(
      {
        batchId,
        mapper: x.mapper,
        bucket: s.lakeBucket,
        key: x.key,
        round: 0,
        status: x.rows > 0 ? "purged" : "no-match",
        rowsRemoved: x.rows,
        versionsWritten: x.rows > 0 ? [`v-new-${i}`] : [],
        versionsDeleted: Array.from({ length: x.versions }, (_, v) => `v-old-${i}-${v}`),
        versionsKept: 0,
        bytesIn: 1_000_000,
        bytesOut: x.rows > 0 ? 990_000 : 0,
        fencingToken: i + 1,
        conflictsRetried: 0,
        passes: 1,
      },
      undefined,
    );
    const m = (ledger[x.mapper] ??= { objects: 0, versions: 0, rows: 0 });
    if (x.rows > 0) m.objects += 1;
    m.versions += x.versions;
    m.rows += x.rows;
  }
  await recordStep(s.tables, batchId, "forget", {
    startedAt: iso(t0 + 3_613_000),
    endedAt: iso(t0 + 3_671_000),
    counts: found
      ? { objectsPurged: 4, objectsNothingToDo: 1, rowsRemoved: 40, versionsDeleted: 6 }
      : { objectsPurged: 0, objectsNothingToDo: 0, rowsRemoved: 0, versionsDeleted: 0 },
  });
  await s.doc.send(
    new UpdateCommand({
      TableName: s.tables.ledgerTable,
      Key: { pk: batchPartitionKey(batchId), sk: summarySortKey },
      UpdateExpression: "SET storeOutcomes = :o",
      ExpressionAttributeValues: { ":o": storeOutcomes },
    }),
  );
  await recordStep(s.tables, batchId, "store:orders-db", {
    startedAt: iso(t0 + 3_613_500),
    endedAt: iso(t0 + 3_615_000),
    counts: { rowsRemoved: 6 },
  });
  for (const r of requestIds)
    await appendAudit(s.doc, auditAt(s, t0 + 3_671_000), r, "purged", {
      batchId,
      objects: 4,
      rows: 40,
      versions: 6,
    });
  await moveBatch(s.tables, batchId, "VERIFYING");
  await recordStep(s.tables, batchId, "verify", {
    startedAt: iso(t0 + 3_681_000),
    endedAt: iso(t0 + 3_690_000),
    counts: { hits: 0, objectsChecked: 5, versionsChecked: 9, bytesScanned: 2_097_152 },
  });
  for (const r of requestIds)
    await appendAudit(s.doc, auditAt(s, t0 + 3_690_000), r, "verified", { batchId, hits: 0 });
  return {
    batchId,
    requestIds,
    subjects,
    rawIdKeys,
    manifestPrefix: manifest.key.slice(0, manifest.key.lastIndexOf("/") + 1),
    state: {
      batchId,
      deadline: iso(t0 + 30 * 86_400_000),
      round: 0,
      plan: planState,
      verify: { hits: 0 },
    },
    ledger,
    bytesScanned,
    storeOutcomes,
  };
}
