// purgeLakeObject against moto: the version list is worked until no version holds a subject, whatever
// raced the purge; fencing tokens on written versions; a holder that lost its lease touches nothing;
// bad input is refused before the lake is read. pyarrow reads every version back.
import { expect } from "chai";
import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import {
  purgeLakeObject,
  ForgetDeps,
  ForgetError,
  fencingTokenMetadataKey,
} from "../../runtime/erasure/forget";
import { sleep } from "../../runtime/lock/timing";
import {
  TestLake,
  createTestLake,
  downloadVersions,
  lakeBytes,
  lakeMutex,
  purgeMessage,
  putLakeObject,
  putManifest,
  pyarrowView,
  survivingSubjects,
  writeLocal,
} from "./forgetFixtures";

describe("forget: purgeLakeObject (moto)", () => {
  let lake: TestLake;
  let subjects: string[];
  let deps: ForgetDeps;

  before(async () => {
    lake = await createTestLake();
    subjects = lake.customers.slice(0, 3);
    deps = { s3: lake.s3, mutex: lakeMutex(lake, "forget-test"), mappers: [lake.mapper] };
  });
  after(() => fs.rmSync(lake.dir, { recursive: true, force: true }));

  const key = () => `events/dt=2026-11-30/${randomUUID()}.parquet`;
  const versionIds = async (k: string) => (await downloadVersions(lake, k)).map((v) => v.versionId).sort();

  async function expectRefused(input: unknown, kind: string) {
    const err = await purgeLakeObject(input, deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ForgetError);
    expect((err as ForgetError).kind).to.equal(kind);
    expect((err as ForgetError).retryable).to.equal(false);
  }

  it("purges the current version, records its fencing token and deletes every older version holding matches", async () => {
    const k = key();
    const clean = lakeBytes(lake, 7, 60, lake.customers.slice(10));
    const cleanId = await putLakeObject(lake, k, clean);
    await putLakeObject(lake, k, lakeBytes(lake, 8)); // older, dirty
    const original = lakeBytes(lake, 9);
    await putLakeObject(lake, k, original);
    const report = await purgeLakeObject(
      purgeMessage(lake, "b1", k, await putManifest(lake, subjects)),
      deps,
    );

    expect(report.status).to.equal("purged");
    expect(report.versionsWritten).to.have.length(1);
    expect(report.versionsDeleted).to.have.length(2);
    expect(report.rowsRemoved).to.be.greaterThan(0);
    expect(await versionIds(k)).to.deep.equal([cleanId, report.versionsWritten[0]].sort());
    const head = await lake.s3.send(new HeadObjectCommand({ Bucket: lake.bucket, Key: k }));
    expect(head.Metadata?.[fencingTokenMetadataKey]).to.equal(String(report.fencingToken));
    expect(head.Metadata?.producer).to.equal("firehose");

    const current = (await downloadVersions(lake, k)).find((v) => v.versionId === report.versionsWritten[0])!;
    const view = pyarrowView(
      [],
      [{ original: writeLocal(lake, original), purged: current.file!, ids: subjects }],
    );
    expect(view.survivors[0].problems).to.deep.equal([]);
    expect(await survivingSubjects(lake, [k], subjects)).to.deep.equal({});
  });

  it("writes and deletes nothing when no version holds a subject", async () => {
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 3, 60, lake.customers.slice(10)));
    await putLakeObject(lake, k, lakeBytes(lake, 4, 60, lake.customers.slice(10)));
    const before = await versionIds(k);
    const report = await purgeLakeObject(
      purgeMessage(lake, "b1", k, await putManifest(lake, subjects)),
      deps,
    );
    expect(report).to.include({ status: "no-match", rowsRemoved: 0, versionsKept: 2 });
    expect(await versionIds(k)).to.deep.equal(before);
  });

  it("deletes versions under a delete marker without writing", async () => {
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 5));
    await lake.s3.send(new DeleteObjectCommand({ Bucket: lake.bucket, Key: k }));
    const report = await purgeLakeObject(
      purgeMessage(lake, "b1", k, await putManifest(lake, subjects)),
      deps,
    );
    expect(report.versionsWritten).to.deep.equal([]);
    expect(report.versionsDeleted).to.have.length(1);
    const left = await downloadVersions(lake, k);
    expect(left.map((v) => v.deleteMarker)).to.deep.equal([true]);
  });

  it("deletes the null version of an object written before versioning was turned on", async () => {
    const Bucket = `lethe-legacy-${randomUUID().slice(0, 8)}`;
    await lake.s3.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    const k = "events/legacy.parquet";
    await lake.s3.send(new PutObjectCommand({ Bucket, Key: k, Body: lakeBytes(lake, 11) }));
    await lake.s3.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
    await lake.s3.send(new PutObjectCommand({ Bucket, Key: k, Body: lakeBytes(lake, 12) }));
    const mapper = { ...lake.mapper, name: "legacy", location: `s3://${Bucket}/events/` };
    const message = { ...purgeMessage(lake, "b1", k, await putManifest(lake, subjects)), mapper: "legacy" };
    message.object = { ...message.object, bucket: Bucket };
    const report = await purgeLakeObject(message, { ...deps, mappers: [mapper] });
    expect(report.versionsDeleted).to.include("null");
    expect(report.versionsDeleted).to.have.length(2);
    const legacy = { ...lake, bucket: Bucket };
    expect(await survivingSubjects(legacy, [k], subjects)).to.deep.equal({});
    const left = await downloadVersions(legacy, k);
    expect(left.map((v) => v.versionId)).to.deep.equal(report.versionsWritten);
  });

  for (const race of ["identical bytes", "a copy", "new content"] as const) {
    it(`leaves no matching row in any version when a writer puts ${race} between read and write`, async () => {
      const k = key();
      const original = lakeBytes(lake, 21);
      const firstId = await putLakeObject(lake, k, original);
      let raced = false;
      const racer = async () => {
        if (raced) return;
        raced = true;
        if (race === "identical bytes") await putLakeObject(lake, k, original);
        else if (race === "new content") await putLakeObject(lake, k, lakeBytes(lake, 22));
        else {
          await lake.s3.send(
            new CopyObjectCommand({
              Bucket: lake.bucket,
              Key: k,
              CopySource: `${lake.bucket}/${k}?versionId=${firstId}`,
              MetadataDirective: "COPY",
            }),
          );
        }
      };
      const report = await purgeLakeObject(purgeMessage(lake, "b1", k, await putManifest(lake, subjects)), {
        ...deps,
        hooks: { beforeWrite: racer },
      });
      expect(raced).to.equal(true);
      expect(report.status).to.equal("purged");
      if (race === "new content") expect(report.conflictsRetried).to.equal(1);
      expect(await survivingSubjects(lake, [k], subjects)).to.deep.equal({});
      const versions = await downloadVersions(lake, k);
      expect(versions.map((v) => v.versionId)).to.deep.equal([report.versionsWritten.at(-1)]);
    });
  }

  it("retries on the writer's version when a writer puts new content during a multipart write", async () => {
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 23));
    let raced: string | undefined;
    const report = await purgeLakeObject(purgeMessage(lake, "b1", k, await putManifest(lake, subjects)), {
      ...deps,
      // Every object written back as a multipart upload (one part, these objects are small).
      purgeOptions: { multipartFromBytes: 0 },
      hooks: {
        beforeWrite: async () => {
          raced ??= await putLakeObject(lake, k, lakeBytes(lake, 24));
        },
      },
    });
    expect(raced).to.be.a("string");
    expect(report.status).to.equal("purged");
    expect(report.conflictsRetried).to.equal(1);
    expect(report.bytesRead).to.be.at.most(report.bytesIn);
    expect(await survivingSubjects(lake, [k], subjects)).to.deep.equal({});
    const versions = await downloadVersions(lake, k);
    expect(versions.map((v) => v.versionId)).to.deep.equal([report.versionsWritten.at(-1)]);
  });

  it("converges when a run crashes after its write and is run again", async () => {
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 31));
    await putLakeObject(lake, k, lakeBytes(lake, 32));
    const message = purgeMessage(lake, "b1", k, await putManifest(lake, subjects));
    const crash = () => Promise.reject(new Error("injected crash"));
    await purgeLakeObject(message, { ...deps, hooks: { afterWrite: crash } }).catch(() => undefined);
    expect(await versionIds(k)).to.have.length(3);
    const report = await purgeLakeObject(message, deps);
    expect(report.versionsWritten).to.deep.equal([]);
    expect(report.versionsDeleted).to.have.length(2);
    expect(await survivingSubjects(lake, [k], subjects)).to.deep.equal({});
  });

  it("refuses to write over a current version recorded under a newer fencing token", async () => {
    const k = key();
    await lake.s3.send(
      new PutObjectCommand({
        Bucket: lake.bucket,
        Key: k,
        Body: lakeBytes(lake, 41),
        Metadata: { [fencingTokenMetadataKey]: String(Number.MAX_SAFE_INTEGER - 1) },
      }),
    );
    const before = await versionIds(k);
    const err = await purgeLakeObject(
      purgeMessage(lake, "b1", k, await putManifest(lake, subjects)),
      deps,
    ).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ForgetError);
    expect((err as ForgetError).kind).to.equal("fenced-out");
    expect(await versionIds(k)).to.deep.equal(before);
  });

  it("a holder paused past its lease writes and deletes nothing; the next holder purges", async () => {
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 51));
    await putLakeObject(lake, k, lakeBytes(lake, 52));
    const message = purgeMessage(lake, "b1", k, await putManifest(lake, subjects));
    const paused = lakeMutex(lake, "paused", { defaultLeaseDuration: 1, autoRenew: false });
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    let reachedWrite!: () => void;
    const atWrite = new Promise<void>((r) => (reachedWrite = r));
    const stale = purgeLakeObject(message, {
      ...deps,
      mutex: paused,
      hooks: {
        beforeWrite: async () => {
          reachedWrite();
          await resumed;
        },
      },
    }).catch((e: unknown) => e);
    await atWrite;
    await sleep(1500); // the lease runs out
    const fresh = await purgeLakeObject(message, deps);
    const afterFresh = await versionIds(k);
    resume();
    const err = await stale;
    expect(err).to.be.instanceOf(ForgetError);
    expect((err as ForgetError).kind).to.equal("lease-lost");
    expect(await versionIds(k)).to.deep.equal(afterFresh);
    expect(afterFresh).to.deep.equal(fresh.versionsWritten);
    expect(await survivingSubjects(lake, [k], subjects)).to.deep.equal({});
  });

  describe("bad input: refused before the lake is read, nothing written", () => {
    let k: string;
    let before: string[];
    beforeEach(async () => {
      k = key();
      await putLakeObject(lake, k, lakeBytes(lake, 61));
      before = await versionIds(k);
    });
    afterEach(async () => expect(await versionIds(k)).to.deep.equal(before));

    it("a body that is not JSON", () => expectRefused("{not json", "not-json"));
    it("an unknown mapper", async () =>
      expectRefused(
        { ...purgeMessage(lake, "b", k, await putManifest(lake, subjects)), mapper: "orders" },
        "unknown-mapper",
      ));
    it("an object outside the mapper's location", async () => {
      const m = purgeMessage(lake, "b", k, await putManifest(lake, subjects));
      await expectRefused({ ...m, object: { ...m.object, key: `other/${k}` } }, "outside-location");
      await expectRefused({ ...m, object: { ...m.object, key: `events/../secrets/x` } }, "outside-location");
      await expectRefused({ ...m, object: { ...m.object, bucket: "another-bucket" } }, "outside-location");
    });
    it("a missing manifest", () =>
      expectRefused(
        purgeMessage(lake, "b", k, { bucket: lake.bucket, key: "manifests/none.jsonl" }),
        "manifest-missing",
      ));
    it("a corrupt manifest", async () => {
      const Key = `manifests/${randomUUID()}.jsonl`;
      await lake.s3.send(
        new PutObjectCommand({ Bucket: lake.bucket, Key, Body: '{"key": ["a"]}\n{"key": 5}\n' }),
      );
      await expectRefused(purgeMessage(lake, "b", k, { bucket: lake.bucket, key: Key }), "manifest-corrupt");
    });
  });
});
