// The main job, end to end, against whatever AWS_ENDPOINT_URL points at: record an erasure request
// with its deadline, find every lake object holding the subjects, purge each one under the mutex,
// verify nothing is left (current and older versions), register the opt-out, rebuild the ingest
// filter, and show the ingest guard dropping the subjects' new records. Reports hashed IDs only.
import { ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeDynamoDbClient, makeKmsClient, makeS3Client } from "../aws/clients";
import {
  ErasureRequestSettings,
  moveErasureRequest,
  recordErasureRequest,
  sweepFailedRequestIds,
} from "./request";
import { appendAudit, AuditSettings } from "./audit";
import { loadSubjectHasher } from "./subjectHash";
import { ErasureSettings } from "./settings";
import { MutexClient, MutexKey } from "../lock";
import { keyMatcher, KeyMatcher } from "../purge/matcher";
import { purgeObject, scanObjectVersion, ObjectPurgeReport } from "../purge/objectPurge";
import { headObject } from "../purge/s3Objects";
import { OptOutRegistry } from "../ingest/optOutRegistry";
import { createFilterBuilderHandler } from "../handlers/filterBuilder";
import { createIngestTransformerHandler } from "../handlers/ingestTransformer";
import { envNames } from "../contracts/env";
import { eventsTable } from "../contracts/lakeSchema";
import type { LocalStack, SampleObject } from "../contracts/stack";

export interface DemoSettings {
  stack: LocalStack;
  objects: SampleObject[];
  subjects: string[];
  /** The stack's erasure settings (deadline, retention), as its functions get them. */
  erasure: ErasureSettings;
  /** The ingest guard filter's target false-positive rate. */
  filterFalsePositiveRate: number;
  /** Objects purged at once (each under its own lock). */
  concurrency: number;
}

export interface DemoReport {
  requestId: string;
  receivedAt: string;
  deadline: string;
  subjects: string[];
  find: { objectsScanned: number; objectsHoldingSubjects: number; rowsHoldingSubjects: number };
  forget: {
    objectsPurged: number;
    rowsRemoved: number;
    versionsDeleted: number;
    bytesIn: number;
    bytesOut: number;
    objects: (Pick<ObjectPurgeReport, "key" | "status" | "rowsBefore" | "rowsAfter" | "rowsRemoved"> & {
      fencingToken: string;
    })[];
  };
  verify: {
    objectsRescanned: number;
    rowsStillHoldingSubjects: number;
    olderVersionsLeft: number;
    passed: boolean;
  };
  ingestGuard: { recordsIn: number; dropped: number; passed: number; subjectsRecordsLetThrough: number };
  status: "COMPLETED" | "NEEDS_ATTENTION";
  seconds: number;
}

async function scanObject(s3: S3Client, bucket: string, key: string, matcher: KeyMatcher): Promise<number> {
  const { matches } = await scanObjectVersion(s3, await headObject(s3, bucket, key), matcher);
  let rows = 0;
  for (const n of matches.values()) rows += n;
  return rows;
}

async function olderVersionCount(s3: S3Client, bucket: string, key: string): Promise<number> {
  const v = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return (v.Versions ?? []).filter((x) => x.Key === key && !x.IsLatest).length;
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

export async function runLocalErasure(d: DemoSettings): Promise<DemoReport> {
  const started = Date.now();
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const bucket = d.stack.lakeBucket;
  const hasher = await loadSubjectHasher(makeKmsClient(), d.stack.subjectHashKeyArn);
  const requests: ErasureRequestSettings = {
    doc,
    s3,
    tableName: d.stack.requestsTable,
    bucket,
    kmsKeyArn: d.stack.kmsKeyArn,
    erasure: d.erasure,
  };
  const audit: AuditSettings = {
    tableName: d.stack.auditTable,
    erasure: d.erasure,
    overflow: { s3, bucket: d.stack.auditBucket, kmsKeyArn: d.stack.kmsKeyArn },
  };
  const matcher = keyMatcher([eventsTable.idColumn], d.subjects);

  // 0. What the scheduled deadline function will do: failed requests past their grace lose their IDs.
  await sweepFailedRequestIds(requests);

  // 1. Record the request and its legal deadline.
  const { request } = await recordErasureRequest(requests, hasher, d.subjects);
  // The demo is its own one-request batch: it walks the states the state machine would.
  await moveErasureRequest(requests, request.requestId, "BATCHED");
  await moveErasureRequest(requests, request.requestId, "FINDING");
  await appendAudit(doc, audit, request.requestId, "recorded", {
    subjects: request.subjectHashes,
    deadline: request.deadline,
  });

  // 2. Find: which objects hold the subjects (the local stand-in for Athena's "$path" query).
  const found = await inBatches(d.objects, 4, async (o) => ({
    key: o.key,
    rows: await scanObject(s3, bucket, o.key, matcher),
  }));
  const holding = found.filter((f) => f.rows > 0);
  await appendAudit(doc, audit, request.requestId, "found", {
    objects: holding.map((h) => `s3://${bucket}/${h.key}`),
    rows: holding.reduce((a, h) => a + h.rows, 0),
  });

  // 3. Forget: one writer per object, serialised by the DynamoDB mutex.
  await moveErasureRequest(requests, request.requestId, "FORGETTING");
  const mutex = new MutexClient({
    clientName: "lethe-demo",
    tableName: d.stack.locksTable,
    dynamoDbClient: makeDynamoDbClient(),
    defaultLeaseDuration: 60,
    autoRenew: true,
    maxTimeout: 120,
  });
  const purged = await inBatches(holding, d.concurrency, async (h) => {
    const { report, fencingToken } = await mutex.withLock(
      new MutexKey(`s3://${bucket}/${h.key}`),
      async (lock) => ({
        report: await purgeObject(s3, { bucket, key: h.key, matcher, guard: lock }),
        fencingToken: String(lock.fencingToken),
      }),
    );
    await appendAudit(doc, audit, request.requestId, "purged", {
      object: `s3://${bucket}/${h.key}`,
      status: report.status,
      rowsRemoved: report.rowsRemoved,
      versionsDeleted: report.versionsDeleted.length,
      fencingToken,
    });
    return { ...report, fencingToken };
  });

  // 4. Verify: rescan every object, and check no older version survives where rows were removed.
  await moveErasureRequest(requests, request.requestId, "VERIFYING");
  const rescanned = await inBatches(d.objects, 4, async (o) => scanObject(s3, bucket, o.key, matcher));
  const left = rescanned.reduce((a, n) => a + n, 0);
  const olderLeft = (await inBatches(holding, 4, (h) => olderVersionCount(s3, bucket, h.key))).reduce(
    (a, n) => a + n,
    0,
  );
  const verified = left === 0 && olderLeft === 0 && purged.every((p) => p.status === "purged");
  await appendAudit(doc, audit, request.requestId, "verified", {
    rowsLeft: left,
    olderVersionsLeft: olderLeft,
    passed: verified,
  });

  // 5. Stop re-ingestion: register the opt-out, rebuild the filter, run new records through the guard.
  const registry = new OptOutRegistry(doc, d.stack.optOutTable);
  for (const id of d.subjects) await registry.add(id, request.requestId);
  const env = {
    [envNames.optOutTable]: d.stack.optOutTable,
    [envNames.filterBucket]: bucket,
    [envNames.kmsKeyArn]: d.stack.kmsKeyArn,
    [envNames.subjectHashKeyArn]: d.stack.subjectHashKeyArn,
    [envNames.falsePositiveRate]: String(d.filterFalsePositiveRate),
  };
  await createFilterBuilderHandler(env)({});
  const transform = createIngestTransformerHandler(env);
  const erased = new Set(d.subjects);
  const customers = [...new Set(d.objects.flatMap((o) => [...o.rowsByCustomer.keys()]))]
    .filter((c) => !erased.has(c))
    .slice(0, 200);
  const incoming = [...d.subjects, ...customers].map((id, i) => ({
    recordId: String(i),
    approximateArrivalTimestamp: Date.now(),
    data: Buffer.from(
      JSON.stringify({
        customer_id: id,
        event_time: new Date().toISOString(),
        event_type: "login",
        payload: "{}",
      }),
    ).toString("base64"),
  }));
  const reply = await transform({
    invocationId: "demo",
    deliveryStreamArn: "arn:aws:firehose:eu-west-1:000000000000:deliverystream/demo",
    region: "eu-west-1",
    records: incoming,
  });
  const letThrough = reply.records.filter(
    (r, i) =>
      r.result === "Ok" &&
      erased.has(JSON.parse(Buffer.from(incoming[i].data, "base64").toString()).customer_id),
  ).length;
  const dropped = reply.records.filter((r) => r.result === "Dropped").length;

  const status = verified && letThrough === 0 ? "COMPLETED" : "NEEDS_ATTENTION";
  await moveErasureRequest(requests, request.requestId, status);
  return {
    requestId: request.requestId,
    receivedAt: request.receivedAt,
    deadline: request.deadline,
    subjects: request.subjectHashes ?? [],
    find: {
      objectsScanned: d.objects.length,
      objectsHoldingSubjects: holding.length,
      rowsHoldingSubjects: holding.reduce((a, h) => a + h.rows, 0),
    },
    forget: {
      objectsPurged: purged.filter((p) => p.status === "purged").length,
      rowsRemoved: purged.reduce((a, p) => a + p.rowsRemoved, 0),
      versionsDeleted: purged.reduce((a, p) => a + p.versionsDeleted.length, 0),
      bytesIn: purged.reduce((a, p) => a + p.bytesIn, 0),
      bytesOut: purged.reduce((a, p) => a + p.bytesOut, 0),
      objects: purged.map((p) => ({
        key: p.key,
        status: p.status,
        rowsBefore: p.rowsBefore,
        rowsAfter: p.rowsAfter,
        rowsRemoved: p.rowsRemoved,
        fencingToken: p.fencingToken,
      })),
    },
    verify: {
      objectsRescanned: d.objects.length,
      rowsStillHoldingSubjects: left,
      olderVersionsLeft: olderLeft,
      passed: verified,
    },
    ingestGuard: {
      recordsIn: incoming.length,
      dropped,
      passed: reply.records.filter((r) => r.result === "Ok").length,
      subjectsRecordsLetThrough: letThrough,
    },
    status,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
