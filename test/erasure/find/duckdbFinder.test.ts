// The embedded engine against a brute-force scan of every object, on a pyarrow-written lake across
// dt= partitions: string, integer, composite and struct keys; GZIP and SNAPPY Parquet; JSON Lines.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { makeS3Client } from "../../../runtime/aws/clients";
import { DataMapper } from "../../../runtime/contracts/mappers";
import { duckDbFinder } from "../../../runtime/erasure/find/duckdbFinder";
import { FindInputError, finderForStack } from "../../../runtime/erasure/find";
import { uploadMarginMs } from "../../../runtime/erasure/find/writtenSince";
import { bruteForceFind } from "../../../local/fixtures/lakeTree";
import type { LocalStack } from "../../../runtime/contracts/stack";
import { sharedLocalStack } from "../../support/localStack";
import { createBucketLike } from "../../../local/stack/copies";
import { keysFor, manifestFor, mappersOver, rawManifest, uploadLake } from "./lake";

describe("find: the embedded engine (DuckDB) agrees with a brute-force scan", function () {
  this.timeout(300_000);
  const s3 = makeS3Client();
  let stack: LocalStack;
  let bucket: string;
  let mappers: Record<string, DataMapper>;
  let keys: string[];
  let cacheDir: string;

  before(async () => {
    stack = await sharedLocalStack();
    bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-shop`, stack.kmsKeyArn);
    keys = await uploadLake(s3, bucket);
    mappers = mappersOver(bucket);
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-find-cache-"));
  });
  after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  for (const which of ["byCustomer", "byAccount", "byTenantUser", "clicks", "visits"]) {
    it(`finds exactly the objects the scan finds: ${which}`, async () => {
      const mapper = mappers[which];
      const ids = keysFor(mapper);
      const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, ids);
      const found = await duckDbFinder({ s3 }, { cacheDir }).findObjects(mapper, manifest);
      const brute = await bruteForceFind(s3, mapper, ids);
      const all = keys.filter((k) => k.startsWith(mapper.glueTable + "/"));
      expect(brute.paths.length, "the batch is in some objects, not all").to.be.within(2, all.length - 1);
      expect(found.paths).to.deep.equal(brute.paths);
      expect(new Set(found.paths.map((p) => /dt=([^/]+)/.exec(p)![1])).size).to.be.greaterThan(1);
      if (mapper.format === "parquet") {
        // Only the footer and the ID columns' chunks were read.
        expect(found.bytesScanned)
          .to.be.greaterThan(0)
          .and.below(brute.lakeBytes * 0.6);
      } else expect(found.bytesScanned).to.equal(brute.lakeBytes);
    });
  }

  it("reads only objects written since a time, whatever their partition, and reuses cached copies", async () => {
    const mapper = mappers.byTenantUser;
    const ids = keysFor(mapper);
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, ids);
    const brute = await bruteForceFind(s3, mapper, ids);
    const holding = brute.paths[0].slice(`s3://${bucket}/`.length);
    // S3 stamps writes to the second: the lake is over a second older than `since`.
    await new Promise((r) => setTimeout(r, 1100));
    const since = new Date(Math.floor(Date.now() / 1000) * 1000 + uploadMarginMs);
    // A late object holding subjects, written into the oldest partition (as Firehose names a buffer
    // that straddled midnight), and one the caller checks itself.
    const late = `${mapper.glueTable}/dt=2024-03-01/late-${Date.now()}.parquet`;
    const planned = `${mapper.glueTable}/dt=2024-03-02/planned-${Date.now()}.parquet`;
    for (const key of [late, planned])
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${holding}` }));
    const checked = new Set([`s3://${bucket}/${planned}`]);
    try {
      // A local stack's finder is this engine.
      const finder = finderForStack({ local: true, cacheDir }, { s3 }) as ReturnType<typeof duckDbFinder>;
      const found = await finder.findObjects(mapper, manifest, { since, checked });
      expect(found.paths).to.deep.equal([`s3://${bucket}/${late}`]);
      expect(found.objectsRead).to.equal(1);
      // Asked again, it reads the same bytes from its cached copies and fetches nothing.
      const again = await finder.findObjects(mapper, manifest, { since, checked });
      expect(again.paths).to.deep.equal(found.paths);
      expect(again.bytesScanned).to.equal(found.bytesScanned);
      expect(again.bytesFetched).to.equal(0);
    } finally {
      for (const key of [late, planned]) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
  });

  it("finds side by side over one cache, and a rewritten object is read at its new version", async () => {
    const mapper = mappers.byCustomer;
    const ids = keysFor(mapper);
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, ids);
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-find-cache-"));
    try {
      // Two finders at once, copying the same objects into the same cache.
      const [a, b] = await Promise.all([
        duckDbFinder({ s3 }, { cacheDir: shared }).findObjects(mapper, manifest),
        duckDbFinder({ s3 }, { cacheDir: shared }).findObjects(mapper, manifest),
      ]);
      const brute = await bruteForceFind(s3, mapper, ids);
      expect(a.paths).to.deep.equal(brute.paths);
      expect(b.paths).to.deep.equal(brute.paths);
      expect(a.bytesFetched + b.bytesFetched, "each object fetched once").to.equal(a.bytesScanned);
      // One found object rewritten with the rows of one that holds none of the batch.
      const all = keys.filter((k) => k.startsWith(mapper.glueTable + "/"));
      const holding = brute.paths[0].slice(`s3://${bucket}/`.length);
      const clean = all.find((k) => !brute.paths.includes(`s3://${bucket}/${k}`))!;
      const body = async (key: string) =>
        (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray();
      const original = await body(holding);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: holding, Body: await body(clean) }));
      try {
        const after = await duckDbFinder({ s3 }, { cacheDir: shared }).findObjects(mapper, manifest);
        expect(after.paths).to.deep.equal(brute.paths.slice(1));
        expect(after.bytesFetched, "only the new version fetched")
          .to.be.greaterThan(0)
          .and.below(a.bytesScanned);
      } finally {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: holding, Body: original }));
      }
    } finally {
      fs.rmSync(shared, { recursive: true, force: true });
    }
  });

  describe("refuses bad input before any query, naming the mapper", () => {
    const refused = async (mapper: DataMapper, ids: string[][] | string, pattern: RegExp) => {
      const manifest =
        typeof ids === "string"
          ? await rawManifest(s3, stack.lakeBucket, ids)
          : await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, ids);
      try {
        await duckDbFinder({ s3 }, { cacheDir }).findObjects(mapper, manifest);
      } catch (e) {
        expect(e).to.be.instanceOf(FindInputError);
        expect((e as Error).message).to.match(pattern);
        return;
      }
      throw new Error("accepted");
    };

    it("a missing column, a float or timestamp ID column, a missing struct field", async () => {
      const m = mappers.byCustomer;
      await refused(
        { ...m, idColumns: ["nope"] },
        [["x"]],
        /mapper "orders-customer": ID column 'nope' is not a column/,
      );
      await refused(
        { ...m, idColumns: ["amount"] },
        [["1"]],
        /ID column 'amount' has type DOUBLE; only string and integer/,
      );
      await refused(
        { ...m, idColumns: ["event_time"] },
        [["1"]],
        /ID column 'event_time' has type TIMESTAMP/,
      );
      await refused({ ...m, idColumns: ["user.nope"] }, [["1"]], /the struct has no field 'nope'/);
      await refused(
        { ...mappers.clicks, idColumns: ["amount"] },
        [["1"]],
        /mapper "clicks": ID column 'amount' has type DOUBLE/,
      );
    });

    it("an ID that is not valid for an integer column, a key of the wrong arity, an empty batch", async () => {
      await refused(
        mappers.byAccount,
        [["100017"], ["12a"]],
        /part 1 is not a valid BIGINT for ID column 'account_no'/,
      );
      await refused(
        mappers.byTenantUser,
        [["t1", "007"]],
        /part 2 is not a valid BIGINT for ID column 'user.id'/,
      );
      await refused(mappers.byTenantUser, [["t1"]], /has 1 ID part\(s\), the mapper has 2 ID column\(s\)/);
      await refused(mappers.byCustomer, "", /mapper "orders-customer": the batch has no subject IDs/);
    });

    it("an unknown format", async () => {
      await refused(
        { ...mappers.byCustomer, format: "avro" as never },
        [["c00017"]],
        /format "avro" is not one of parquet, jsonl, jsonl.gz, csv, csv.gz/,
      );
    });

    it("never puts an ID in an error message", async () => {
      try {
        await duckDbFinder({ s3 }, { cacheDir }).findObjects(
          mappers.byAccount,
          await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [["secret-id-42"]]),
        );
      } catch (e) {
        expect((e as Error).message).to.not.contain("secret-id-42");
        expect((e as Error).message).to.match(/subject 1 of the batch: part 1 is not a valid BIGINT/);
        return;
      }
      throw new Error("accepted");
    });
  });
});
