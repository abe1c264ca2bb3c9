// Large objects written back as a multipart upload (runtime/purge/multipartPlan.ts, multipartWrite.ts),
// against moto: only the footer, the key columns and the row groups with matches are read; untouched
// row groups are copied server-side; a concurrent writer wins; a failed upload leaves no part. Sizes are
// scaled down (a 25 MB object of 8 row groups of 3 MiB, S3's real 5 MiB part minimum, which moto
// enforces): the plan and the upload are the same for a 5 GB object, only with more copied bytes.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import { keyMatcher } from "../../runtime/subjects/matcher";
import { purgeObject } from "../../runtime/purge/objectPurge";
import { PlannedPart, Segment, planParts } from "../../runtime/purge/multipartPlan";
import { checkPurge, makeFixture, tempDir } from "./pyarrow";

const parquetMapper = { name: "events", format: "parquet" } as const;
const MiB = 1024 * 1024;

describe("purge: large objects as multipart uploads (moto)", function () {
  this.timeout(60_000);
  let s3: S3Client;
  let Bucket: string;
  let kmsKeyArn: string;
  let dir: string;
  let fixture: string;
  let fixtureBytes: Buffer;

  before(async () => {
    s3 = makeS3Client();
    dir = tempDir();
    fixture = makeFixture("wide", "SNAPPY", path.join(dir, "wide.parquet"));
    fixtureBytes = fs.readFileSync(fixture);
    kmsKeyArn = (await makeKmsClient().send(new CreateKeyCommand({ Description: "lethe multipart test" })))
      .KeyMetadata!.Arn!;
    Bucket = `lethe-mpu-${randomUUID().slice(0, 8)}`;
    await s3.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function putLakeObject(Key: string, body: Uint8Array = fixtureBytes) {
    return s3.send(
      new PutObjectCommand({
        Bucket,
        Key,
        Body: body,
        ContentType: "application/vnd.apache.parquet",
        Metadata: { source: "compaction" },
        Tagging: "classification=personal",
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

  async function uploadsOf(Key: string) {
    const list = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: Key }));
    return list.Uploads ?? [];
  }

  async function download(Key: string, file: string): Promise<string> {
    const o = await s3.send(new GetObjectCommand({ Bucket, Key }));
    fs.writeFileSync(file, await o.Body!.transformToByteArray());
    return file;
  }

  /** The customers of row group `group` (1,100 rows each, customer w<row>), a few of them. */
  const customersOf = (group: number, count = 3) =>
    Array.from({ length: count }, (_, i) => [`w${String(group * 1100 + 17 * i).padStart(5, "0")}`]);

  for (const group of [0, 3, 7]) {
    it(`reads only the key columns and row group ${group}, copies the others server-side, rows intact`, async () => {
      const Key = `sparse/rg${group}.parquet`;
      await putLakeObject(Key, fixtureBytes);
      await putLakeObject(Key); // an older version holding the rows too
      const ids = customersOf(group);
      const report = await purgeObject(s3, {
        bucket: Bucket,
        key: Key,
        mapper: parquetMapper,
        matcher: keyMatcher(["customer_id"], ids),
      });
      expect(report.status).to.equal("purged");
      expect(report.write).to.equal("multipart");
      expect(report.rowsRemoved).to.equal(3);
      const fraction = report.bytesRead / report.bytesIn;
      console.log(
        `      row group ${group} of 8: ${report.bytesRead} of ${report.bytesIn} bytes read (${(100 * fraction).toFixed(1)} %)`,
      );
      // One row group of eight, the key columns, and the short neighbours merged into parts.
      expect(fraction).to.be.below(group === 3 ? 0.35 : 0.5);

      const out = await download(Key, path.join(dir, `out-${group}.parquet`));
      const check = checkPurge(fixture, out, ["customer_id"], ids);
      expect(check.problems).to.deep.equal([]);
      expect(check.rowsAfter).to.equal(check.expectedRowsAfter);
      expect(check.identicalRowGroups).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7].filter((g) => g !== group));

      const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
      expect(head.ContentType).to.equal("application/vnd.apache.parquet");
      expect(head.Metadata).to.deep.equal({ source: "compaction" });
      expect(head.StorageClass).to.equal("STANDARD_IA");
      expect(head.SSEKMSKeyId).to.equal(kmsKeyArn);
      const tags = await s3.send(new GetObjectTaggingCommand({ Bucket, Key }));
      expect(tags.TagSet).to.deep.equal([{ Key: "classification", Value: "personal" }]);
      // Both versions holding the rows are gone: only ours is left.
      expect(await versionsOf(Key)).to.deep.equal([report.after!.versionId]);
      expect(await uploadsOf(Key)).to.deep.equal([]);
    });
  }

  it("loses to a writer that wrote during the upload: its version survives, no part is left, the retry purges it", async () => {
    const Key = "race/object.parquet";
    await putLakeObject(Key);
    const ids = customersOf(5);
    const matcher = keyMatcher(["customer_id"], ids);
    // The concurrent writer's own version: the same rows, other bytes (ZSTD).
    const writerFixture = makeFixture("wide", "ZSTD", path.join(dir, "writer.parquet"));
    const writer = fs.readFileSync(writerFixture);
    let raced: string | undefined;
    const report = await purgeObject(
      s3,
      { bucket: Bucket, key: Key, mapper: parquetMapper, matcher, keepOtherVersions: true },
      {
        afterPart: async (part) => {
          if (part !== 1 || raced) return;
          raced = (await putLakeObject(Key, writer)).ETag;
        },
      },
    );
    expect(raced, "the writer wrote mid-upload").to.be.a("string");
    expect(report.status).to.equal("conflict");
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
    expect(head.ETag).to.equal(raced);
    expect(await uploadsOf(Key)).to.deep.equal([]);

    // The retry works from the writer's version.
    const retry = await purgeObject(s3, { bucket: Bucket, key: Key, mapper: parquetMapper, matcher });
    expect(retry.status).to.equal("purged");
    expect(retry.before.etag).to.equal(raced);
    const out = await download(Key, path.join(dir, "race.parquet"));
    expect(checkPurge(writerFixture, out, ["customer_id"], ids).problems).to.deep.equal([]);
  });

  it("aborts the upload when a part fails: no part is left and the object is unchanged", async () => {
    const Key = "abort/object.parquet";
    const put = await putLakeObject(Key);
    const before = await versionsOf(Key);
    let sent = 0;
    const failing = purgeObject(
      s3,
      {
        bucket: Bucket,
        key: Key,
        mapper: parquetMapper,
        matcher: keyMatcher(["customer_id"], customersOf(2)),
      },
      {
        afterPart: async (_part, uploadId) => {
          sent++;
          expect((await uploadsOf(Key)).map((u) => u.UploadId)).to.deep.equal([uploadId]);
          throw new Error("function timed out mid-upload");
        },
      },
    );
    const failure = await failing.then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure?.message).to.equal("function timed out mid-upload");
    expect(sent).to.be.greaterThan(0);
    expect(await uploadsOf(Key)).to.deep.equal([]);
    expect(await versionsOf(Key)).to.deep.equal(before);
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key }))).ETag).to.equal(put.ETag);
  });

  it("the emulator refuses a part copied from a version whose ETag is not the one named (412)", async () => {
    const Key = "emulator/copy-if-match.parquet";
    const put = await putLakeObject(Key);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const copy = (etag: string) =>
      s3.send(
        new UploadPartCopyCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber: 1,
          CopySource: `${Bucket}/${Key}?versionId=${put.VersionId}`,
          CopySourceRange: "bytes=0-5242879",
          CopySourceIfMatch: etag,
        }),
      );
    try {
      const refused = await copy('"0123456789abcdef0123456789abcdef"').then(
        () => undefined,
        (err: S3ServiceException) => err,
      );
      expect(refused?.$metadata.httpStatusCode).to.equal(412);
      expect((await copy(put.ETag!)).CopyPartResult?.ETag).to.be.a("string");
    } finally {
      await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    }
  });

  it("leaves an object without a match alone, having read only its footer and key columns", async () => {
    const Key = "clean/object.parquet";
    await putLakeObject(Key);
    const report = await purgeObject(s3, {
      bucket: Bucket,
      key: Key,
      mapper: parquetMapper,
      matcher: keyMatcher(["customer_id"], [["nobody"]]),
    });
    expect(report.status).to.equal("no-match");
    expect(report.bytesRead / report.bytesIn).to.be.below(0.01);
    expect((await versionsOf(Key)).length).to.equal(1);
  });
});

describe("purge: multipart plan", () => {
  const sizes = { minPart: 5 * MiB, uploadPart: 16 * MiB, maxPart: 40 * MiB };
  const carried = (start: number, end: number): Segment => ({ kind: "carried", start, end });
  const written = (start: number, end: number): Segment => ({ kind: "written", start, end });

  /** The bytes each part stands for, as segments, in order (to compare with the plan's input). */
  function flatten(parts: PlannedPart[]): Segment[] {
    const out: Segment[] = [];
    for (const p of parts) {
      for (const s of p.kind === "copy" ? [carried(p.start, p.end)] : p.pieces) {
        const last = out[out.length - 1];
        if (last && last.kind === s.kind && last.end === s.start) last.end = s.end;
        else out.push({ ...s });
      }
    }
    return out;
  }

  function checkParts(segments: Segment[], parts: PlannedPart[]) {
    expect(flatten(parts)).to.deep.equal(segments);
    parts.forEach((p, i) => {
      const length = p.kind === "copy" ? p.end - p.start : p.length;
      if (i < parts.length - 1) expect(length, `part ${i + 1}`).to.be.at.least(sizes.minPart);
      expect(length).to.be.at.most(p.kind === "copy" ? sizes.maxPart : sizes.uploadPart);
    });
  }

  it("a short upload between two copies takes the next copy's first bytes, straddling the row group", () => {
    const segments = [
      carried(0, 30 * MiB),
      written(0, 2 * MiB),
      carried(32 * MiB, 50 * MiB),
      written(2 * MiB, 2 * MiB + 100),
    ];
    const parts = planParts(segments, sizes);
    checkParts(segments, parts);
    expect(parts.map((p) => p.kind)).to.deep.equal(["copy", "upload", "copy", "upload"]);
    expect(parts[1]).to.deep.include({ length: 5 * MiB });
  });

  it("a copy too short to stay one after lending is downloaded whole", () => {
    const segments = [written(0, 1 * MiB), carried(10 * MiB, 18 * MiB), written(1 * MiB, 2 * MiB)];
    const parts = planParts(segments, sizes);
    checkParts(segments, parts);
    expect(parts.map((p) => p.kind)).to.deep.equal(["upload"]);
  });

  it("copies above the part maximum are split, uploads cut at the upload size", () => {
    const segments = [written(0, 40 * MiB), carried(100 * MiB, 190 * MiB), written(40 * MiB, 41 * MiB)];
    const parts = planParts(segments, sizes);
    checkParts(segments, parts);
    expect(parts.map((p) => p.kind)).to.deep.equal([
      "upload",
      "upload",
      "upload",
      "copy",
      "copy",
      "copy",
      "upload",
    ]);
  });
});
