// A CSV table end to end on the emulator: the local find engine (DuckDB over local copies) finds exactly
// the objects a scan of every object finds, and the indexer's keys of each object are csvKeys' keys, over
// Python-written gzip CSV in Hive-style partitions.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../../runtime/aws/clients";
import { parseS3Location, type DataMapper } from "../../../runtime/contracts/mappers";
import type { LocalStack } from "../../../runtime/contracts/stack";
import { duckDbFinder } from "../../../runtime/erasure/find/duckdbFinder";
import { keysInObject } from "../../../runtime/erasure/metastore/objectKeys";
import { csvKeys } from "../../../runtime/formats/csv/csvPurge";
import { headObject } from "../../../runtime/purge/s3Objects";
import { bruteForceFind } from "../../../local/fixtures/lakeTree";
import { createBucketLike } from "../../../local/stack/copies";
import { sharedLocalStack } from "../../support/localStack";
import { manifestFor } from "../../erasure/find/lake";
import { tempDir, writeCsv } from "./pythonCsv";

describe("formats/csv: local find and the indexer on the emulator", function () {
  this.timeout(300_000);
  const s3 = makeS3Client();
  const columns = ["customer_id", "name", "note"];
  let stack: LocalStack;
  let mapper: DataMapper;
  const objects: { key: string; bytes: Buffer }[] = [];
  let cacheDir: string;

  before(async () => {
    stack = await sharedLocalStack();
    const bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-csv`, stack.kmsKeyArn);
    mapper = {
      name: "leads",
      glueDatabase: "crm",
      glueTable: "leads",
      location: `s3://${bucket}/leads/`,
      idColumns: ["customer_id"],
      format: "csv.gz",
      partitionColumns: ["dt"],
      csv: { serde: "OpenCSVSerde", columns, escape: '"', skipHeaderLines: 1 },
    };
    const dir = tempDir();
    for (let day = 1; day <= 4; day++) {
      const rows = Array.from({ length: 30 }, (_, i) => [
        `c${day * 100 + i}`,
        `Name, "${i}"`,
        i % 7 === 0 ? "two\nlines" : "plain",
      ]);
      const key = `leads/dt=2024-03-0${day}/part-${day}.csv.gz`;
      const { bytes } = writeCsv(path.join(dir, key), { header: columns, rows, gzip: true });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
      objects.push({ key, bytes });
    }
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-csv-find-"));
  });
  after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  it("finds exactly the objects a scan of every object finds", async () => {
    const ids = [["c105"], ["c307"], ["c999"]];
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, ids);
    const found = await duckDbFinder({ s3 }, { cacheDir }).findObjects(mapper, manifest);
    const brute = await bruteForceFind(s3, mapper, ids);
    expect(brute.paths.map((p) => p.replace(/^s3:\/\/[^/]+\//, ""))).to.deep.equal([
      objects[0].key,
      objects[2].key,
    ]);
    expect(found.paths).to.deep.equal(brute.paths);
  });

  it("indexes each object's keys as csvKeys reads them", async () => {
    const { bucket } = parseS3Location(mapper.location);
    for (const { key, bytes } of objects) {
      const version = await headObject(s3, bucket, key);
      const indexed = await keysInObject(s3, version, mapper);
      const expected = await csvKeys(bytes, mapper.idColumns, { options: mapper.csv!, compressed: true });
      expect(indexed.rows).to.equal(30);
      expect([...indexed.keys]).to.deep.equal([...expected.keys]);
    }
  });
});
