// The index metastore on the emulator: the indexer writes one entry per subject and version from the
// ID columns, removes a deleted version's entries, ignores what no mapper holds; the plan unites the
// finder's current objects with the index's versions, so a subject only a noncurrent version holds is found.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../../runtime/aws/clients";
import { DataMapper } from "../../../runtime/contracts/mappers";
import { testHasher } from "./testHasher";
import { handleObjectEvent, IndexerDeps, objectEvents } from "../../../runtime/erasure/metastore/indexer";
import { lookupSubjects } from "../../../runtime/erasure/metastore/indexStore";
import { duckDbFinder } from "../../../runtime/erasure/find/duckdbFinder";
import { planBatch, summarisePlan, writePlan } from "../../../runtime/erasure/plan";
import type { LocalStack } from "../../../runtime/contracts/stack";
import { sharedLocalStack } from "../../support/localStack";
import { createBucketLike } from "../../../local/stack/copies";
import { uploadTree } from "../../../local/fixtures/lakeTree";
import { keysIn } from "../../purge/pyarrow";
import { manifestFor, mappersOver, writeLake } from "../find/lake";

describe("index metastore: indexer, lookups and the plan", function () {
  this.timeout(300_000);
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const hashSubject = testHasher("index-test-secret");
  let stack: LocalStack;
  let bucket: string;
  let lakeDir: string;
  let orders: DataMapper;
  let clicks: DataMapper;
  let deps: IndexerDeps;
  let cacheDir: string;
  const created = (key: string, versionId?: string) => ({
    Records: [
      { eventName: "ObjectCreated:Put", s3: { bucket: { name: bucket }, object: { key, versionId } } },
    ],
  });
  const target = "orders/dt=2024-03-01/part-00.parquet";

  before(async () => {
    stack = await sharedLocalStack();
    bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-idx`, stack.kmsKeyArn);
    lakeDir = writeLake();
    const day = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-index-lake-"));
    for (const dir of ["orders/dt=2024-03-01", "clicks/dt=2024-03-01"]) {
      fs.cpSync(path.join(lakeDir, dir), path.join(day, dir), { recursive: true });
    }
    await uploadTree(s3, day, bucket);
    fs.rmSync(day, { recursive: true, force: true });
    ({ byCustomer: orders, clicks } = mappersOver(bucket));
    deps = { s3, doc, indexTable: stack.indexTable, mappers: [orders, clicks], hashSubject };
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-index-cache-"));
  });
  after(() => {
    fs.rmSync(lakeDir, { recursive: true, force: true });
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it("writes one entry per subject of a new version, with its rows, keyed by the subject's hash", async () => {
    const file = path.join(lakeDir, target);
    const subjects = keysIn(file, ["customer_id"], 100_000);
    const [e] = objectEvents(created(target));
    const outcome = await handleObjectEvent(deps, e);
    expect(outcome).to.include({
      action: "indexed",
      mapper: orders.name,
      entries: subjects.length,
      rows: 300,
    });
    const entries = await lookupSubjects(doc, stack.indexTable, [subjects[0]], hashSubject);
    expect(entries).to.have.length(1);
    expect(entries[0]).to.include({ bucket, key: target, mapper: orders.name, pk: hashSubject(subjects[0]) });
    expect(entries[0].versionId).to.match(/.+/);
    expect(entries[0].rows).to.be.greaterThan(0);
    expect(JSON.stringify(entries)).to.not.contain(subjects[0][0]);
  });

  it("indexes JSON Lines objects too", async () => {
    const key = "clicks/dt=2024-03-01/part-00.jsonl";
    const lines = fs.readFileSync(path.join(lakeDir, key), "utf8").trim().split("\n");
    const subjects = new Set(lines.map((l) => JSON.parse(l).customer_id).filter((c) => c !== undefined));
    const outcome = await handleObjectEvent(deps, objectEvents(created(key))[0]);
    expect(outcome).to.include({ action: "indexed", mapper: "clicks", rows: 120, entries: subjects.size });
  });

  it("finds a subject that only a noncurrent version holds, through the plan", async () => {
    const subject = keysIn(path.join(lakeDir, target), ["customer_id"], 1)[0];
    const v1 = (await lookupSubjects(doc, stack.indexTable, [subject], hashSubject))[0].versionId;
    // Overwrite the object with rows of another day that do not hold the subject.
    const other = path.join(lakeDir, "orders/dt=2024-03-06/part-09.parquet");
    expect(keysIn(other, ["customer_id"], 100_000).map((k) => k[0])).to.not.include(subject[0]);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: target, Body: fs.readFileSync(other) }),
    );
    await handleObjectEvent(deps, objectEvents(created(target, put.VersionId))[0]);

    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [subject]);
    const finder = duckDbFinder({ s3 }, { cacheDir });
    expect((await finder.findObjects(orders, manifest)).paths).to.not.include(`s3://${bucket}/${target}`);
    const plan = await planBatch(
      { s3, finder, index: { doc, table: stack.indexTable, hashSubject } },
      [orders],
      manifest,
    );
    const planned = plan.mappers[0].objects.find((o) => o.key === target);
    expect(planned).to.deep.include({ bucket, current: false, versionIds: [v1] });
    expect(planned!.expectedRows).to.be.greaterThan(0);

    const summary = summarisePlan(plan);
    expect(summary).to.include({ batchId: plan.batchId });
    expect(summary.versions).to.be.at.least(1);
    expect(summary.mappers[0].bytesScanned).to.be.greaterThan(0);
    const ref = await writePlan(s3, { bucket: stack.lakeBucket, kmsKeyArn: stack.kmsKeyArn }, plan);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }))
    ).Body!.transformToString();
    expect(JSON.parse(body)).to.deep.equal(plan);
    expect(body + JSON.stringify(summary)).to.not.contain(subject[0]);
  });

  it("removes a permanently deleted version's entries and leaves delete markers alone", async () => {
    const subject = keysIn(path.join(lakeDir, target), ["customer_id"], 1)[0];
    const [entry] = await lookupSubjects(doc, stack.indexTable, [subject], hashSubject);
    const marker = await handleObjectEvent(deps, {
      eventName: "ObjectRemoved:DeleteMarkerCreated",
      bucket,
      key: target,
    });
    expect(marker.action).to.equal("ignored");
    const removed = await handleObjectEvent(deps, {
      eventName: "ObjectRemoved:Delete",
      bucket,
      key: target,
      versionId: entry.versionId,
    });
    expect(removed.action).to.equal("removed");
    expect(removed.entries).to.be.greaterThan(1);
    expect(await lookupSubjects(doc, stack.indexTable, [subject], hashSubject)).to.deep.equal([]);
  });

  it("ignores objects under no mapper's location (Lethe's manifests and filter)", async () => {
    for (const key of [
      "erasure-manifests/batch_id=x/manifest.jsonl",
      "ingest-guard/opt-out-filter/current.json",
    ]) {
      const outcome = await handleObjectEvent(deps, { eventName: "ObjectCreated:Put", bucket, key });
      expect(outcome).to.include({ action: "ignored", entries: 0 });
    }
    expect(() => objectEvents({})).to.throw(/expected an S3 notification/);
  });

  it("ignores a delete-object mapper's objects, without reading them: the key names the subject", async () => {
    const perUser = {
      ...orders,
      name: "per-user",
      location: `s3://${bucket}/per-user/`,
      strategy: "delete-object" as const,
      keyTemplate: "{customer_id}/*",
    };
    const key = "per-user/1001/not-json-lines.bin";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "\u0000 not a row" }));
    const outcome = await handleObjectEvent(
      { ...deps, mappers: [perUser] },
      { eventName: "ObjectCreated:Put", bucket, key },
    );
    expect(outcome).to.include({
      action: "ignored",
      mapper: "per-user",
      entries: 0,
      reason: "its key names its subject",
    });
  });
});
