// Backfill of the index from what a mapper's location holds: every version, resumable from its checkpoint.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../../runtime/aws/clients";
import { testHasher } from "./testHasher";
import { backfillMapper } from "../../../runtime/erasure/metastore/backfill";
import { lookupSubjects } from "../../../runtime/erasure/metastore/indexStore";
import type { LocalStack } from "../../../runtime/contracts/stack";
import { sharedLocalStack } from "../../support/localStack";
import { createBucketLike } from "../../../local/stack/copies";
import { uploadTree } from "../../../local/fixtures/lakeTree";
import { keysIn } from "../../purge/pyarrow";
import { mappersOver, writeLake } from "../find/lake";
import { putNullVersion } from "../workflowFixtures";

describe("index metastore: backfill", function () {
  this.timeout(300_000);
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const hashSubject = testHasher("backfill-secret");
  let stack: LocalStack;
  let lakeDir: string;
  let work: string;

  before(async () => {
    stack = await sharedLocalStack();
    lakeDir = writeLake();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-backfill-"));
  });
  after(() => {
    fs.rmSync(lakeDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("indexes every version, resumes after an interruption from its checkpoint, and finds noncurrent versions", async () => {
    const bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-bf`, stack.kmsKeyArn);
    const day = path.join(work, "lake");
    fs.cpSync(path.join(lakeDir, "orders/dt=2024-03-02"), path.join(day, "orders/dt=2024-03-02"), {
      recursive: true,
    });
    await uploadTree(s3, day, bucket);
    const target = "orders/dt=2024-03-02/part-03.parquet";
    const subject = keysIn(path.join(lakeDir, target), ["customer_id"], 1)[0];
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: target,
        Body: fs.readFileSync(path.join(lakeDir, "orders/dt=2024-03-06/part-09.parquet")),
      }),
    );
    // A lake written before the backfill began (a resumed run reads again what was written since).
    await new Promise((r) => setTimeout(r, 6_000));
    const mapper = mappersOver(bucket).byCustomer;
    const deps = { s3, doc, indexTable: stack.indexTable, mappers: [mapper], hashSubject };
    const checkpointFile = path.join(work, "checkpoint.json");

    const stop = new Error("interrupted");
    const seen: number[] = [];
    const first = await backfillMapper(deps, mapper, {
      allVersions: true,
      checkpointFile,
      onProgress: (p) => {
        seen.push(p.versions);
        if (p.versions === 4) throw stop;
      },
    }).catch((e) => e);
    expect(first).to.equal(stop);
    expect(JSON.parse(fs.readFileSync(checkpointFile, "utf8"))).to.include({ versions: 4, done: false });

    const second = await backfillMapper(deps, mapper, { allVersions: true, checkpointFile });
    expect(second).to.include({ versions: 11, done: true });

    const entries = await lookupSubjects(doc, stack.indexTable, [subject], hashSubject);
    const atTarget = entries.filter((e) => e.key === target);
    expect(atTarget).to.have.length(1);
    // The subject is only in the overwritten (now noncurrent) version.
    const current = await backfillMapper(deps, mapper, {});
    expect(current.versions).to.equal(10);
    expect(await lookupSubjects(doc, stack.indexTable, [subject], hashSubject)).to.deep.equal(entries);
  });

  /** One day of the find lake in a bucket of its own, and the orders mapper over it. */
  async function dayLake(suffix: string, day: string) {
    const bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-${suffix}`, stack.kmsKeyArn);
    const tree = path.join(work, suffix);
    fs.cpSync(path.join(lakeDir, `orders/${day}`), path.join(tree, `orders/${day}`), { recursive: true });
    await uploadTree(s3, tree, bucket);
    const mapper = mappersOver(bucket).byCustomer;
    return {
      bucket,
      mapper,
      deps: { s3, doc, indexTable: stack.indexTable, mappers: [mapper], hashSubject },
    };
  }

  it('indexes a noncurrent pre-versioning null version under the id S3 gives it, "null"', async () => {
    const { bucket, mapper, deps } = await dayLake("bf-null", "dt=2024-03-04");
    const target = "orders/dt=2024-03-04/part-null.parquet";
    const older = path.join(lakeDir, "orders/dt=2024-03-04/part-00.parquet");
    const newer = path.join(lakeDir, "orders/dt=2024-03-06/part-09.parquet");
    const subject = keysIn(older, ["customer_id"], 100_000).find(
      (k) => !keysIn(newer, ["customer_id"], 100_000).some((n) => n[0] === k[0]),
    )!;
    // Written while versioning was off, then overwritten once it was on.
    await putNullVersion(s3, bucket, target, fs.readFileSync(older));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: target, Body: fs.readFileSync(newer) }));

    const done = await backfillMapper(deps, mapper, { allVersions: true });
    expect(done).to.include({ versions: 12, done: true });
    const entries = await lookupSubjects(doc, stack.indexTable, [subject], hashSubject);
    expect(entries.filter((e) => e.key === target).map((e) => e.versionId)).to.deep.equal(["null"]);
  });

  it("resumed under a lake written again, reads what was written since, before its resume point or at a version it no longer finds", async () => {
    const { bucket, mapper, deps } = await dayLake("bf-resume", "dt=2024-03-05");
    const checkpointFile = path.join(work, "resume-checkpoint.json");
    const files = fs.readdirSync(path.join(lakeDir, "orders/dt=2024-03-05")).sort();
    const last = `orders/dt=2024-03-05/${files[files.length - 1]}`;
    // Written well before the backfill began.
    await new Promise((r) => setTimeout(r, 6_000));
    const stop = new Error("interrupted");
    const first = await backfillMapper(deps, mapper, {
      allVersions: true,
      checkpointFile,
      onProgress: (p) => {
        if (p.lastKey === last) throw stop;
      },
    }).catch((e) => e);
    expect(first).to.equal(stop);
    const resumePoint = JSON.parse(fs.readFileSync(checkpointFile, "utf8"));
    expect(resumePoint).to.include({ lastKey: last, versions: files.length });

    // Meanwhile: a new object before the resume point, holding a subject of its own, and the resume
    // point's own version deleted (a purge, a lifecycle rule).
    const early = "orders/dt=2024-03-05/a-early.parquet";
    const source = path.join(lakeDir, "orders/dt=2024-03-06/part-09.parquet");
    const subject = keysIn(source, ["customer_id"], 1)[0];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: early, Body: fs.readFileSync(source) }));
    await s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: last, VersionId: resumePoint.lastVersionId }),
    );

    const resumed = await backfillMapper(deps, mapper, { allVersions: true, checkpointFile });
    // The versions the first run read are not read again; the new one is.
    expect(resumed).to.include({ versions: files.length + 1, done: true });
    const entries = await lookupSubjects(doc, stack.indexTable, [subject], hashSubject);
    expect(entries.map((e) => e.key)).to.include(early);
  });

  it("indexes nothing of a delete-object mapper, reading none of its objects", async () => {
    const bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-bf-del`, stack.kmsKeyArn);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "users/1001/a.bin", Body: "\u0000 not rows" }));
    const mapper = {
      ...mappersOver(bucket).byCustomer,
      location: `s3://${bucket}/users/`,
      strategy: "delete-object" as const,
      keyTemplate: "{customer_id}/*",
    };
    const deps = { s3, doc, indexTable: stack.indexTable, mappers: [mapper], hashSubject };
    expect(await backfillMapper(deps, mapper, { allVersions: true })).to.include({
      versions: 0,
      entries: 0,
      done: true,
    });
  });
});
