// IDs inside arrays on the emulator: the local find engine (DuckDB over local copies, joined with
// list_filter) finds exactly the objects a scan of every object finds, for a LIST of IDs and a field of
// the structs of a LIST, in pyarrow-written Parquet and Python-written JSON Lines; the indexer reads
// each element's ID.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../../runtime/aws/clients";
import { parseS3Location, type DataMapper, type DataMapperFormat } from "../../../runtime/contracts/mappers";
import type { LocalStack } from "../../../runtime/contracts/stack";
import { duckDbFinder } from "../../../runtime/erasure/find/duckdbFinder";
import { keysInObject } from "../../../runtime/erasure/metastore/objectKeys";
import { headObject } from "../../../runtime/purge/s3Objects";
import { bruteForceFind } from "../../../local/fixtures/lakeTree";
import { createBucketLike } from "../../../local/stack/copies";
import { sharedLocalStack } from "../../support/localStack";
import { manifestFor } from "../../erasure/find/lake";
import { checkArrayPurge, writeArrayFixtures } from "./arraysLake";

describe("formats: IDs inside arrays, local find and the indexer on the emulator", function () {
  this.timeout(300_000);
  const s3 = makeS3Client();
  let stack: LocalStack;
  let bucket: string;
  let cacheDir: string;
  const files: string[] = [];

  before(async () => {
    stack = await sharedLocalStack();
    bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-arrays`, stack.kmsKeyArn);
    cacheDir = fs.mkdtempSync(`${os.tmpdir()}/lethe-arrays-find-`);
    // Three objects per format, each from its own seed (different rows).
    for (let seed = 1; seed <= 3; seed++) {
      const f = writeArrayFixtures(seed);
      files.push(f.dir);
      for (const [format, file] of [
        ["parquet", f.parquet],
        ["jsonl", f.jsonl],
      ]) {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `${format}/dt=2024-05-0${seed}/part-${seed}.${format}`,
            Body: fs.readFileSync(file),
          }),
        );
      }
    }
  });
  after(() => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    for (const d of files) fs.rmSync(d, { recursive: true, force: true });
  });

  const mapperOf = (format: DataMapperFormat, column: string): DataMapper => ({
    name: `events-${format}`,
    glueDatabase: "lake",
    glueTable: `events_${format}`,
    location: `s3://${bucket}/${format}/`,
    idColumns: [column],
    format,
    partitionColumns: ["dt"],
  });

  for (const format of ["parquet", "jsonl"] as const) {
    for (const { column, ids, objects } of [
      { column: "customer_ids[]", ids: [["s2"], ["nobody"]], objects: 1 },
      { column: "contacts[].customer_id", ids: [["1001"], ["1003"], ["999"]], objects: 2 },
    ]) {
      it(`${format}, ${column}: finds exactly the objects a scan of every object finds`, async () => {
        const mapper = mapperOf(format, column);
        const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, ids);
        const found = await duckDbFinder({ s3 }, { cacheDir }).findObjects(mapper, manifest);
        const brute = await bruteForceFind(s3, mapper, ids);
        expect(brute.paths.length).to.equal(objects);
        expect(found.paths).to.deep.equal(brute.paths);
      });
    }

    it(`${format}: the indexer reads every element's ID, as Python does`, async () => {
      const mapper = mapperOf(format, "contacts[].customer_id");
      for (let seed = 1; seed <= 3; seed++) {
        const key = `${format}/dt=2024-05-0${seed}/part-${seed}.${format}`;
        const version = await headObject(s3, parseS3Location(mapper.location).bucket, key);
        const indexed = await keysInObject(s3, version, mapper);
        const original = `${files[seed - 1]}/events.${format}`;
        const python = checkArrayPurge({ original, purged: original, column: mapper.idColumns[0], ids: [] });
        expect(indexed.rows).to.equal(python.rows);
        expect(Object.fromEntries(indexed.keys)).to.deep.equal(python.keys);
      }
    });
  }
});
