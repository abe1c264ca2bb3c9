// The purge engine from packaged code: test/fixtures/purge-function declares one LetheFunction that
// calls runtime/purge/objectPurge; packaged exactly as `pulumi up` would, it purges a pyarrow-written
// GZIP Parquet object in the emulator, on the main thread (with the deflate threads) and with
// row-group worker threads started from the worker file in its zip.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  loadPackagedHandler,
  PackagedFunction,
  packagedFunction,
  zipFunction,
} from "../../local/program/packaging";
import { makeS3Client } from "../../runtime/aws/clients";
import { createLakeBucket } from "../ingest/fixtures";
import { checkPurge, keysIn, makeFixture, tempDir } from "../purge/pyarrow";

const program = path.resolve(__dirname, "../fixtures/purge-function");

describe("packaging: the purge engine runs from a packaged function", () => {
  let fn: PackagedFunction;
  let dir: string;
  let fixture: string;
  let ids: string[];
  let bucket: string;

  before(async () => {
    fn = await packagedFunction("object-purge", { program });
    dir = tempDir();
    fixture = makeFixture("lake", "GZIP", path.join(dir, "lake.parquet"));
    ids = keysIn(fixture, ["customer_id"], 3).map((k) => k[0]);
    bucket = (await createLakeBucket()).bucket;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("carries parquet-wasm, the compiled purge engine and its worker file", async () => {
    expect(fn.directPackages).to.include("parquet-wasm");
    expect(fn.entries).to.include.members(["runtime/purge/objectPurge.ts", "runtime/subjects/matcher.ts"]);
    for (const file of [
      "purge/objectPurge.js",
      "formats/parquet/workerPool.js",
      "formats/parquet/rowGroupWorker.js",
      "formats/parquet/deflateThreads.js",
    ]) {
      expect(fs.existsSync(path.join(fn.dir, "node_modules/@lethe/runtime", file)), file).to.equal(true);
    }
    // Only what the purge needs: no ingest guard code, no cache package.
    expect(fs.existsSync(path.join(fn.dir, "node_modules/@lethe/runtime/ingest"))).to.equal(false);
    expect(fn.packages).to.not.include("lru-cache");
    const { bytes } = await zipFunction(fn);
    console.log(
      `      ${fn.shortName}: zip ${(bytes / 1e6).toFixed(2)} MB, unzipped ${(fn.unzippedBytes / 1e6).toFixed(1)} MB, ` +
        `${fn.files} files, ${fn.packages.length} packages; requires ${fn.directPackages.join(", ")}`,
    );
  });

  for (const workers of [0, 2]) {
    it(`purges a GZIP Parquet object in S3 (${workers ? `${workers} worker threads` : "main thread"})`, async () => {
      const s3 = makeS3Client();
      const key = `events/dt=2026-12-01/part-w${workers}.parquet`;
      const put = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(fixture) }),
      );
      const handler = loadPackagedHandler(fn);
      const reply = (await handler({ bucket, key, column: "customer_id", ids, workers })) as Record<
        string,
        unknown
      >;
      expect(reply).to.include({ status: "purged", format: "parquet", versionsDeleted: 1 });
      expect(reply.rowsRemoved).to.be.greaterThan(0);

      const out = path.join(dir, `purged-w${workers}.parquet`);
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      fs.writeFileSync(out, await body.Body!.transformToByteArray());
      const check = checkPurge(
        fixture,
        out,
        ["customer_id"],
        ids.map((id) => [id]),
      );
      expect(check.problems).to.deep.equal([]);
      expect(check.codecs).to.deep.equal(["GZIP"]);
      expect(check.rowsBefore - check.rowsAfter).to.equal(reply.rowsRemoved);
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
      expect((versions.Versions ?? []).map((v) => v.VersionId)).to.not.include(put.VersionId);
    });
  }
});
