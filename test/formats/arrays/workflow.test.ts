// IDs inside arrays through the whole erasure workflow on the emulator (issue 22): a local stack with a
// Parquet mapper and a JSON Lines mapper whose ID column is a LIST of IDs (`customer_ids[]`), objects
// written by pyarrow and Python's json in Hive-style `dt=` partitions, and `lethe erase --wait` of
// subjects found in some elements. The request COMPLETED; no version of any object holds a row with
// their IDs in any element; every kept row is the original's (values for Parquet, bytes for JSON Lines).
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../../runtime/aws/clients";
import type { DataMapper, DataMapperFormat } from "../../../runtime/contracts/mappers";
import type { LocalStack } from "../../../runtime/contracts/stack";
import { scanObjectVersion } from "../../../runtime/purge/objectPurge";
import { headObject, listKeyVersions } from "../../../runtime/purge/s3Objects";
import { keyMatcher } from "../../../runtime/subjects/matcher";
import { erase } from "../../../cli/work/erasureCommands";
import { provisionLocalStack, writeOutputsFile } from "../../../local/stack";
import { createBucketLike } from "../../../local/stack/copies";
import { projectWithStack } from "../../support/projectStack";
import { checkArrayPurge, writeArrayFixtures } from "./arraysLake";

interface Written {
  mapper: DataMapper;
  key: string;
  file: string;
}

describe("formats: IDs inside arrays through erase --wait on a local stack", function () {
  this.timeout(900_000);
  const s3 = makeS3Client();
  const run = randomUUID().slice(0, 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-arrays-workflow-"));
  const bucket = `array-lake-${run}`;
  // s1 is in seed 1's objects only; c7 in most rows' lists somewhere.
  const subjects = ["s1", "c7"];
  const column = "customer_ids[]";
  const mapperOf = (format: DataMapperFormat): DataMapper => ({
    name: `events-${format}`,
    glueDatabase: "lake",
    glueTable: `events_${format}`,
    location: `s3://${bucket}/${format}/`,
    idColumns: [column],
    format,
    partitionColumns: ["dt"],
  });
  const mappers = [mapperOf("parquet"), mapperOf("jsonl")];
  const written: Written[] = [];
  let stack: LocalStack;
  let outputs: string;

  before(async () => {
    const program = projectWithStack(dir, "arraysflow", { "lethe:dataMappers": JSON.stringify(mappers) });
    stack = (await provisionLocalStack({ stack: "arraysflow", program })).stack;
    outputs = path.join(dir, "local.json");
    writeOutputsFile(outputs, stack);
    await createBucketLike("lakeBucket", bucket, stack.kmsKeyArn);
    for (const seed of [1, 2]) {
      const f = writeArrayFixtures(seed);
      for (const mapper of mappers) {
        const file = mapper.format === "parquet" ? f.parquet : f.jsonl;
        const key = `${mapper.format}/dt=2024-05-0${seed}/part-${seed}.${mapper.format}`;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(file) }));
        written.push({ mapper, key, file });
      }
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Rows holding any of `ids` in an element, in every version of the object. */
  async function rowsInVersions(w: Written, ids: string[]): Promise<{ versions: number; rows: number }> {
    let versions = 0;
    let rows = 0;
    for (const v of (await listKeyVersions(s3, bucket, w.key)).all) {
      if (v.deleteMarker) continue;
      versions++;
      const version = await headObject(s3, bucket, w.key, v.versionId);
      const scan = await scanObjectVersion(s3, version, w.mapper, keyMatcher(w.mapper.idColumns, ids));
      for (const n of scan.matches.values()) rows += n;
    }
    return { versions, rows };
  }

  it("erases subjects found in array elements: COMPLETED, no version holds them, every kept row unchanged", async () => {
    for (const w of written) expect((await rowsInVersions(w, subjects)).rows, w.key).to.be.greaterThan(0);

    const result = await erase(
      { ids: subjects, reason: "arrays workflow", requestedBy: "test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0 },
    );
    expect(result.status?.state, JSON.stringify(result.status)).to.equal("COMPLETED");

    for (const w of written) {
      expect(await rowsInVersions(w, subjects), w.key).to.deep.equal({ versions: 1, rows: 0 });
      const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: w.key }));
      const purged = path.join(dir, `now-${w.key.replace(/\W/g, "_")}.${w.mapper.format}`);
      fs.writeFileSync(purged, Buffer.from(await o.Body!.transformToByteArray()));
      const check = checkArrayPurge({ original: w.file, purged, column, ids: subjects });
      expect(check.problems, w.key).to.deep.equal([]);
      expect(check.kept, w.key).to.be.within(1, check.rows - 1);
    }
  });
});
