// Corrupt objects fail with a CorruptObjectError naming the object and the part: a page that inflates to
// more than its header states (inflation stops there), a damaged page body, a truncated gzip stream,
// bytes that are not UTF-8. The CLI exits 2 and leaves nothing; the S3 purge writes no version and
// leaves no temporary directory.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { randomUUID } from "node:crypto";
import {
  CreateBucketCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { makeS3Client } from "../../runtime/aws/clients";
import { keyMatcher } from "../../runtime/subjects/matcher";
import { purgeObject } from "../../runtime/purge/objectPurge";
import { purgeParquetFile } from "../../runtime/purge/localFiles";
import { purgeBytes } from "../../runtime/purge/purgeBytes";
import { rewritePages } from "../../runtime/formats/parquet/pages";
import { CorruptObjectError } from "../../runtime/formats/corruptObject";
import { F, bufferSource, chunkRange, readFooter } from "../../runtime/formats/parquet/parquetFormat";
import {
  decodeStruct,
  encodeStruct,
  getI32,
  getStruct,
  getStructList,
  i32,
  i64,
} from "../../runtime/formats/parquet/thriftCompact";
import { headObject, versionSource } from "../../runtime/purge/s3Objects";
import { keysInObject } from "../../runtime/erasure/metastore/objectKeys";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { makeFixture, tempDir } from "./pyarrow";

/** The data mapper these objects belong to: its format chooses the engine. */
const parquetMapper = { name: "events", format: "parquet" } as const;

const lethe = path.resolve(__dirname, "..", "..", "bin", "lethe");

/** Where the first page of column 0 (customer_id) of row group 0 is: its header and body. */
async function firstPage(file: Buffer) {
  const footer = await readFooter(bufferSource(file));
  const chunk = getStructList(footer.rowGroups[0], F.rowGroup.columns)[0];
  const { start } = chunkRange(chunk);
  const { value: header, end } = decodeStruct(file, start);
  return { start, header, bodyStart: end, bodyLength: getI32(header, F.page.compressedSize)! };
}

/** The file with the first page's header stating one byte less than its body inflates to. */
async function understated(file: Buffer): Promise<Buffer> {
  const page = await firstPage(file);
  const header = new Map(page.header);
  header.set(F.page.uncompressedSize, i32(getI32(header, F.page.uncompressedSize)! - 1));
  const encoded = encodeStruct(header);
  expect(encoded.length).to.equal(page.bodyStart - page.start); // same length: nothing else moves
  const out = Buffer.from(file);
  out.set(encoded, page.start);
  return out;
}

/** The file with one byte of the first page's (GZIP) body flipped. */
async function damagedBody(file: Buffer): Promise<Buffer> {
  const page = await firstPage(file);
  const out = Buffer.from(file);
  out[page.bodyStart + Math.floor(page.bodyLength / 2)] ^= 0x5a;
  return out;
}

describe("purge: corrupt objects fail cleanly", () => {
  let dir: string;
  let clean: Buffer;
  before(() => {
    dir = tempDir();
    clean = fs.readFileSync(makeFixture("fuzz", "GZIP", path.join(dir, "clean.parquet")));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("stops inflating a page at the size its header states", async () => {
    const body = zlib.gzipSync(Buffer.alloc(8 << 20)); // 8 MiB of zeros in a few KiB
    const header = new Map([
      [F.page.type, i32(0)],
      [F.page.uncompressedSize, i32(100)],
      [F.page.compressedSize, i32(body.length)],
    ]);
    const chunk = Buffer.concat([encodeStruct(header), body]);
    const err = await rewritePages(chunk, { mode: "inflate" }).catch((e) => e);
    expect(err).to.be.instanceOf(Error);
    expect(err.message).to.match(/inflates to more than the 100 bytes its header states/);
  });

  it("a page that inflates to more than its header states is a CorruptObjectError naming the row group", async () => {
    const input = path.join(dir, "understated.parquet");
    const output = path.join(dir, "understated.out.parquet");
    fs.writeFileSync(input, await understated(clean));
    const err = await purgeParquetFile(input, output, keyMatcher(["customer_id"], ["c03"])).catch((e) => e);
    expect(err).to.be.instanceOf(CorruptObjectError);
    expect(err.object).to.equal(input);
    expect(err.part).to.equal("row group 0");
    expect(err.message).to.match(
      /: row group 0: a page inflates to more than the \d+ bytes its header states$/,
    );
    expect(fs.readdirSync(dir).filter((f) => f.includes("understated.out"))).to.deep.equal([]);
  });

  it("lethe parquet purge exits 2 on a damaged page, naming the file, with no output or temp file", async () => {
    const input = path.join(dir, "damaged.parquet");
    fs.writeFileSync(input, await damagedBody(clean));
    const ids = path.join(dir, "ids.txt");
    fs.writeFileSync(ids, "c03\n");
    const out = path.join(dir, "damaged.out.parquet");
    const r = spawnSync(
      process.execPath,
      [lethe, "parquet", "purge", input, out, "--column", "customer_id", "--ids", ids],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/damaged\.parquet is corrupt: row group 0: a page does not inflate/);
    expect(r.stdout).to.equal("");
    expect(fs.readdirSync(dir).filter((f) => f.includes("damaged.out"))).to.deep.equal([]);
  });

  it("the S3 purge of a corrupt object writes no version and leaves no temporary directory", async () => {
    const s3 = makeS3Client();
    const Bucket = `lethe-corrupt-${randomUUID().slice(0, 8)}`;
    await s3.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const Key = "lake/part-0.parquet";
    const put = await s3.send(new PutObjectCommand({ Bucket, Key, Body: await damagedBody(clean) }));
    // A temporary directory of our own (os.tmpdir() reads TMPDIR), so that other processes' files
    // cannot be mistaken for a leftover.
    const tmp = fs.mkdtempSync(path.join(dir, "tmp-"));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    let err;
    try {
      err = await purgeObject(s3, {
        bucket: Bucket,
        key: Key,
        mapper: parquetMapper,
        matcher: keyMatcher(["customer_id"], ["c03"]),
      }).catch((e) => e);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(err).to.be.instanceOf(CorruptObjectError);
    expect(err.object).to.equal(`s3://${Bucket}/${Key} (version ${put.VersionId})`);
    expect(err.part).to.equal("row group 0");
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect((versions.Versions ?? []).map((v) => v.VersionId)).to.deep.equal([put.VersionId]);
    expect(fs.readdirSync(tmp)).to.deep.equal([]);
  });

  it("a column chunk offset outside the object is a CorruptObjectError naming the object, the row group and the column, for the indexer and the purge", async () => {
    const footer = await readFooter(bufferSource(clean));
    const meta = getStruct(getStructList(footer.rowGroups[0], F.rowGroup.columns)[0], F.chunk.metaData)!;
    meta.set(F.meta.dataPageOffset, i64(-840965032));
    const encoded = encodeStruct(footer.raw);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(encoded.length);
    const body = clean.subarray(0, clean.length - 8 - footer.encodedLength);
    const bad = Buffer.concat([body, encoded, length, Buffer.from("PAR1")]);

    const s3 = makeS3Client();
    const Bucket = `lethe-offset-${randomUUID().slice(0, 8)}`;
    await s3.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    const Key = "lake/part-0.parquet";
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: bad }));
    const version = await headObject(s3, Bucket, Key);
    const mapper = { format: "parquet", idColumns: ["customer_id"] } as unknown as DataMapper;
    for (const run of [
      () => keysInObject(s3, version, mapper),
      () =>
        purgeObject(s3, {
          bucket: Bucket,
          key: Key,
          mapper: parquetMapper,
          matcher: keyMatcher(["customer_id"], ["c03"]),
        }),
    ]) {
      const err = await run().catch((e) => e);
      expect(err, String(err)).to.be.instanceOf(CorruptObjectError);
      expect(err.message).to.match(new RegExp(`^s3://${Bucket}/${Key}.* is corrupt: row group 0: `));
      expect(err.message).to.include("customer_id").and.not.include("short read");
    }
    // A read outside an object is refused by name whatever asks for it.
    const err = await versionSource(s3, version)
      .read(-840965032, 10)
      .catch((e) => e);
    expect(err.message).to.match(
      /^s3:\/\/.* is corrupt: byte range: .*offset -840965032 lies outside the object's \d+ bytes/,
    );
  });

  it("JSON Lines: a truncated gzip stream and bytes that are not UTF-8 are CorruptObjectErrors", async () => {
    const matcher = keyMatcher(["customer_id"], ["a1"]);
    const text = `{"customer_id":"a1"}\n{"customer_id":"b2","note":"caf\u00e9"}\n`;
    const gz = zlib.gzipSync(text);
    const truncated = await purgeBytes(
      gz.subarray(0, gz.length - 6),
      { name: "events", format: "jsonl.gz" },
      matcher,
    ).catch((e) => e);
    expect(truncated).to.be.instanceOf(CorruptObjectError);
    expect(truncated.part).to.equal("gzip stream");
    const latin1 = Buffer.from(text, "latin1"); // "é" as one byte, not UTF-8
    const notUtf8 = await purgeBytes(latin1, { name: "events", format: "jsonl" }, matcher).catch((e) => e);
    expect(notUtf8).to.be.instanceOf(CorruptObjectError);
    expect(notUtf8.message).to.match(/not valid UTF-8/);
  });
});
