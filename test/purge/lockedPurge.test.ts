// purgeObject with the object's lock as its guard (moto): a holder frozen past its lease wakes up and
// writes nothing: no new version, no deleted version.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import {
  CreateBucketCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { makeDynamoDbClient, makeS3Client } from "../../runtime/aws/clients";
import { LockLostError, MutexKey } from "../../runtime/lock";
import { keyMatcher } from "../../runtime/subjects/matcher";
import { purgeObject } from "../../runtime/purge/objectPurge";
import { createLockTable, testMutex } from "../../local/fixtures/lockTable";
import { freezeEventLoop } from "../support/freeze";

/** The data mapper these objects belong to: its format chooses the engine. */
const jsonLinesMapper = { name: "events", format: "jsonl" } as const;

describe("purge: an object purge guarded by its lock", () => {
  const ddb = makeDynamoDbClient();
  let s3: S3Client;
  let Bucket: string;
  let tableName: string;
  const body = '{"customer_id":"c-1","v":1}\n{"customer_id":"c-2","v":2}\n';
  const matcher = keyMatcher(["customer_id"], ["c-1"]);

  before(async () => {
    s3 = makeS3Client();
    tableName = await createLockTable(ddb);
    Bucket = `lethe-locked-${randomUUID().slice(0, 8)}`;
    await s3.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
  });

  async function versionsOf(Key: string): Promise<string[]> {
    const list = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    return (list.Versions ?? []).filter((v) => v.Key === Key).map((v) => v.VersionId!);
  }

  async function lockFor(Key: string) {
    const mutex = testMutex(ddb, tableName, "purger", { defaultLeaseDuration: 0.4 });
    return { mutex, lock: (await mutex.tryAcquireLock(new MutexKey(`s3://${Bucket}/${Key}`)))! };
  }

  it("frozen before the write: wakes, writes no version and deletes none", async () => {
    const Key = "lake/frozen-before-write.jsonl";
    const older = await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
    const read = await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
    const before = await versionsOf(Key);
    const { mutex, lock } = await lockFor(Key);
    const outcome = await purgeObject(
      s3,
      { bucket: Bucket, key: Key, mapper: jsonLinesMapper, matcher, guard: lock },
      { beforeWrite: async () => freezeEventLoop(700) },
    ).catch((e: unknown) => e);
    expect(outcome).to.be.instanceOf(LockLostError);
    expect(await versionsOf(Key)).to.deep.equal(before);
    expect(before).to.deep.equal([read.VersionId, older.VersionId]);
    await mutex.releaseLock(lock);
  });

  it("frozen after the write: wakes and deletes no version", async () => {
    const Key = "lake/frozen-after-write.jsonl";
    const older = await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
    const read = await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
    const { mutex, lock } = await lockFor(Key);
    let written: string | undefined;
    const outcome = await purgeObject(
      s3,
      { bucket: Bucket, key: Key, mapper: jsonLinesMapper, matcher, guard: lock },
      {
        afterWrite: async (w) => {
          written = w.versionId;
          freezeEventLoop(700);
        },
      },
    ).catch((e: unknown) => e);
    expect(outcome).to.be.instanceOf(LockLostError);
    // The write happened while the lock was held (and was fenced by If-Match); nothing after it.
    expect(await versionsOf(Key)).to.deep.equal([written, read.VersionId, older.VersionId]);
    await mutex.releaseLock(lock);
  });

  it("a lock held throughout lets the purge write and delete as usual", async () => {
    const Key = "lake/held.jsonl";
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
    const { mutex, lock } = await lockFor(Key);
    const report = await purgeObject(s3, {
      bucket: Bucket,
      key: Key,
      mapper: jsonLinesMapper,
      matcher,
      guard: lock,
    });
    expect(report.status).to.equal("purged");
    expect(await versionsOf(Key)).to.deep.equal([report.after!.versionId]);
    await mutex.releaseLock(lock);
  });
});
