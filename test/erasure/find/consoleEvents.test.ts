// The sample console events of the find and indexer functions parse as their handlers read them.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseFindEvent } from "../../../runtime/handlers/find";
import { objectEvents } from "../../../runtime/erasure/metastore/indexer";
import { manifestBatchId } from "../../../runtime/erasure/manifest";

const event = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(__dirname, "../../../events", name), "utf8"));

describe("find: sample console events", () => {
  it("events/find.json names a batch manifest", () => {
    const { manifest } = parseFindEvent(event("find.json"));
    expect(manifestBatchId(manifest)).to.equal("2026-12-01T06-00-00Z-0001");
  });

  it("events/indexer.json is an S3 notification of one new object", () => {
    expect(objectEvents(event("indexer.json"))).to.deep.equal([
      {
        eventName: "ObjectCreated:Put",
        bucket: "lethe-dev-lake-data",
        key: "events/dt=2026-11-30/lethe-demo-0.parquet",
      },
    ]);
  });
});
