// Object-level purge against moto (S3 with versioning and SSE-KMS): conditional write, preserved
// headers/tags/KMS key, clean-up of older versions, conflicts and crash recovery.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { randomUUID } from "node:crypto";
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import { keyMatcher } from "../../runtime/subjects/matcher";
import { purgeObject } from "../../runtime/purge/objectPurge";
import { FormatMismatchError } from "../../runtime/formats";
import { checkPurge, keysIn, makeFixture, tempDir } from "./pyarrow";

/** The data mapper these objects belong to: its format chooses the engine. */
const parquetMapper = { name: "events", format: "parquet" } as const;

describe("purge: S3 objects (moto, versioned bucket)", () => {
  let s3: S3Client;
  let Bucket: string;
  let kmsKeyArn: string;
  let dir: string;
  let fixture: string;
  let ids: string[][];

  before(async () => {
    s3 = makeS3Client();
    dir = tempDir();
    fixture = makeFixture("int96", "GZIP", path.join(dir, "lake.parquet"));
    ids = keysIn(fixture, ["customer_id"], 4);
    kmsKeyArn = (await makeKmsClient().send(new CreateKeyCommand({ Description: "lethe purge test" })))
      .KeyMetadata!.Arn!;
    Bucket = `lethe-purge-${randomUUID().slice(0, 8)}`;
    await s3.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function putLakeObject(Key: string, body: Uint8Array = fs.readFileSync(fixture)) {
    return s3.send(
      new PutObjectCommand({
        Bucket,
        Key,
        Body: body,
        ContentType: "application/vnd.apache.parquet",
        CacheControl: "max-age=60",
        ContentDisposition: "attachment",
        Metadata: { source: "firehose", batch: "42" },
        Tagging: "classification=personal&team=data",
        StorageClass: "STANDARD_IA",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: kmsKeyArn,
      }),
    );
  }

  async function versionsOf(Key: string): Promise<string[]> {
    const list = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    return (list.Versions ?? []).filter((v) => v.Key === Key).map((v) => v.VersionId!);
  }

  async function download(Key: string, file: string): Promise<string> {
    const o = await s3.send(new GetObjectCommand({ Bucket, Key }));
    fs.writeFileSync(file, await o.Body!.transformToByteArray());
    return file;
  }

  it("writes a purged version with everything preserved, then deletes the version it read", async () => {
    const Key = "lake/dt=2024-03-01/part-0.parquet";
    const put = await putLakeObject(Key);
    const report = await purgeObject(s3, {
      bucket: Bucket,
      key: Key,
      mapper: parquetMapper,
      matcher: keyMatcher(["customer_id"], ids),
    });

    expect(report.status).to.equal("purged");
    expect(report.before).to.deep.equal({ etag: put.ETag, versionId: put.VersionId });
    expect(report.after!.versionId).to.be.a("string").and.not.equal(put.VersionId);
    expect(report.versionsDeleted).to.deep.equal([put.VersionId]);
    expect(await versionsOf(Key)).to.deep.equal([report.after!.versionId]);
    const check = checkPurge(
      fixture,
      await download(Key, path.join(dir, "purged.parquet")),
      ["customer_id"],
      ids,
    );
    expect(check.problems).to.deep.equal([]);
    expect(report.rowsRemoved)
      .to.equal(check.rowsBefore - check.expectedRowsAfter)
      .and.to.be.greaterThan(0);
    expect(report.bytesIn).to.equal(fs.statSync(fixture).size);

    const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
    expect(head.ETag).to.equal(report.after!.etag);
    expect(head.ContentType).to.equal("application/vnd.apache.parquet");
    expect(head.CacheControl).to.equal("max-age=60");
    expect(head.ContentDisposition).to.equal("attachment");
    expect(head.Metadata).to.deep.equal({ source: "firehose", batch: "42" });
    expect(head.StorageClass).to.equal("STANDARD_IA");
    expect(head.ServerSideEncryption).to.equal("aws:kms");
    expect(head.SSEKMSKeyId).to.equal(kmsKeyArn);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket, Key }));
    expect(tags.TagSet).to.have.deep.members([
      { Key: "classification", Value: "personal" },
      { Key: "team", Value: "data" },
    ]);
  });

  it("deletes older versions that hold matching rows and keeps history that does not", async () => {
    const Key = "lake/dt=2024-03-05/part-0.parquet";
    const v1 = await putLakeObject(Key);
    // A Parquet version of other customers only (c00..c19; the lake's are c0000..c0299).
    const others = makeFixture("fuzz", "GZIP", path.join(dir, "others.parquet"));
    const v2 = await s3.send(new PutObjectCommand({ Bucket, Key, Body: fs.readFileSync(others) }));
    const v3 = await putLakeObject(Key);
    const report = await purgeObject(s3, {
      bucket: Bucket,
      key: Key,
      mapper: parquetMapper,
      matcher: keyMatcher(["customer_id"], ids),
    });
    expect(report.status).to.equal("purged");
    expect(report.versionsDeleted).to.deep.equal([v3.VersionId, v1.VersionId]);
    expect(await versionsOf(Key)).to.deep.equal([report.after!.versionId, v2.VersionId]);
  });

  it("refuses an object whose bytes are not its mapper's format, naming both, and writes nothing", async () => {
    const Key = "lake/dt=2024-03-06/part-0.parquet";
    const put = await s3.send(new PutObjectCommand({ Bucket, Key, Body: '{"customer_id":"c0001"}\n' }));
    const err = await purgeObject(s3, {
      bucket: Bucket,
      key: Key,
      mapper: parquetMapper,
      matcher: keyMatcher(["customer_id"], [["c0001"]]),
    }).catch((e) => e);
    expect(err).to.be.instanceOf(FormatMismatchError);
    expect(err.message).to.equal(
      `object s3://${Bucket}/${Key} (version ${put.VersionId}) is not Parquet (the mapper 'events' declares parquet)`,
    );
    expect(await versionsOf(Key)).to.deep.equal([put.VersionId]);
  });

  it("leaves an object without a match alone: no new version", async () => {
    const Key = "lake/dt=2024-03-02/part-0.parquet";
    const put = await putLakeObject(Key);
    const report = await purgeObject(s3, {
      bucket: Bucket,
      key: Key,
      mapper: parquetMapper,
      matcher: keyMatcher(["customer_id"], ["nobody"]),
    });
    expect(report.status).to.equal("no-match");
    expect(report.rowsRemoved).to.equal(0);
    expect(report.versionsDeleted).to.deep.equal([]);
    expect(await versionsOf(Key)).to.deep.equal([put.VersionId]);
  });

  it("reports a conflict and keeps the newer object when it changed after we read it (If-Match)", async () => {
    const Key = "lake/dt=2024-03-03/part-0.parquet";
    const first = await putLakeObject(Key);
    const newer = Buffer.from('{"customer_id":"someone-else"}\n');
    let concurrent: string | undefined;
    const report = await purgeObject(
      s3,
      { bucket: Bucket, key: Key, mapper: parquetMapper, matcher: keyMatcher(["customer_id"], ids) },
      {
        beforeWrite: async () => {
          concurrent = (await s3.send(new PutObjectCommand({ Bucket, Key, Body: newer }))).VersionId;
        },
      },
    );
    expect(report.status).to.equal("conflict");
    expect(report.versionsDeleted).to.deep.equal([]);
    const current = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(current.VersionId).to.equal(concurrent);
    expect(Buffer.from(await current.Body!.transformToByteArray()).equals(newer)).to.equal(true);
    expect(await versionsOf(Key)).to.have.members([first.VersionId, concurrent]);
  });

  it("converges when re-run after a crash between the write and the clean-up", async () => {
    const Key = "lake/dt=2024-03-04/part-0.parquet";
    const put = await putLakeObject(Key);
    const matcher = keyMatcher(["customer_id"], ids);
    const crash = await purgeObject(
      s3,
      { bucket: Bucket, key: Key, mapper: parquetMapper, matcher },
      {
        afterWrite: async () => {
          throw new Error("injected crash");
        },
      },
    ).catch((e: Error) => e);
    expect(String(crash)).to.match(/injected crash/);
    const between = await versionsOf(Key);
    expect(between).to.have.length(2).and.to.include(put.VersionId);

    const rerun = await purgeObject(s3, { bucket: Bucket, key: Key, mapper: parquetMapper, matcher });
    expect(rerun.status).to.equal("no-match");
    expect(rerun.versionsDeleted).to.deep.equal([put.VersionId]);
    const left = await versionsOf(Key);
    expect(left).to.have.length(1).and.not.include(put.VersionId);
    const check = checkPurge(
      fixture,
      await download(Key, path.join(dir, "rerun.parquet")),
      ["customer_id"],
      ids,
    );
    expect(check.problems).to.deep.equal([]);
    // A third run finds nothing more to do.
    const third = await purgeObject(s3, { bucket: Bucket, key: Key, mapper: parquetMapper, matcher });
    expect([third.status, third.versionsDeleted.length]).to.deep.equal(["no-match", 0]);
    expect(await versionsOf(Key)).to.deep.equal(left);
  });

  it("purges gzip JSON Lines objects through the same interface, line for line", async () => {
    const Key = "raw/events.jsonl.gz";
    const lines = [
      { customer_id: "a1", n: 1, user: { id: 7 } },
      { customer_id: "b2", n: 2, user: { id: 8 } },
      { customer_id: "a1", n: 3, user: { id: 9 } },
      { customer_id: null, n: 4 },
    ].map((l) => JSON.stringify(l));
    const body = zlib.gzipSync(lines.join("\n") + "\n");
    const put = await s3.send(
      new PutObjectCommand({ Bucket, Key, Body: body, ContentType: "application/x-ndjson" }),
    );
    const report = await purgeObject(s3, {
      bucket: Bucket,
      key: Key,
      mapper: { name: "events", format: "jsonl.gz" },
      matcher: keyMatcher(["user.id"], ["8", "9"]),
    });
    expect([report.status, report.format, report.rowsBefore, report.rowsRemoved]).to.deep.equal([
      "purged",
      "jsonl.gz",
      4,
      2,
    ]);
    expect(report.versionsDeleted).to.deep.equal([put.VersionId]);
    const o = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(o.ContentType).to.equal("application/x-ndjson");
    const text = zlib.gunzipSync(await o.Body!.transformToByteArray()).toString();
    expect(text).to.equal([lines[0], lines[3], ""].join("\n"));
  });
});
