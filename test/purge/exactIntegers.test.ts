// Integer IDs compare as integers, exactly, at any size: a JSON number or an INT64/UINT64 value beyond
// 2^53 matches only the same integer, never a neighbour; an ID that is not a canonical integer for an
// integer column is refused with the reason; the ingest guard and the purge agree on what matches.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { keyMatcher, MatchSpecError } from "../../runtime/subjects/matcher";
import { purgeBytes } from "../../runtime/purge/purgeBytes";
import { purgeParquetFile } from "../../runtime/purge/localFiles";
import { RecordGuard } from "../../runtime/ingest/recordGuard";
import { checkPurge, makeFixture, tempDir } from "./pyarrow";
import { nonCanonicalIntegers } from "../support/integerIds";

const TWO_53 = 2n ** 53n;

describe("purge: integer IDs compare exactly", () => {
  let dir: string;
  let input: string;
  before(() => {
    dir = tempDir();
    input = makeFixture("bigint", "SNAPPY", path.join(dir, "bigint.parquet"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const lines = [
    `{"customer_id":${TWO_53},"n":1}`,
    `{"customer_id":${TWO_53 + 1n},"n":2}`,
    `{"customer_id":"${TWO_53 + 1n}","n":3}`,
    `{"customer_id":${TWO_53 + 1n}.0,"n":4}`,
    `{"customer_id":${TWO_53 + 2n},"n":5}`,
  ];
  const jsonl = Buffer.from(lines.join("\n") + "\n");

  it("a JSON Lines number beyond 2^53 matches only the same integer", async () => {
    const one = await purgeBytes(
      jsonl,
      { name: "events", format: "jsonl" },
      keyMatcher(["customer_id"], [String(TWO_53 + 1n)]),
    );
    expect(Buffer.from(one.bytes).toString()).to.equal([lines[0], lines[4], ""].join("\n"));
    const other = await purgeBytes(
      jsonl,
      { name: "events", format: "jsonl" },
      keyMatcher(["customer_id"], [String(TWO_53)]),
    );
    expect(Buffer.from(other.bytes).toString()).to.equal([...lines.slice(1), ""].join("\n"));
  });

  it("INT64 and UINT64 Parquet columns match only the same integer (pyarrow checks the rest)", async () => {
    const ids = [TWO_53 + 1n, 2n ** 63n - 1n, -(2n ** 63n)].map(String);
    const out = path.join(dir, "int64.parquet");
    const stats = await purgeParquetFile(input, out, keyMatcher(["big_id"], ids));
    const report = checkPurge(
      input,
      out,
      ["big_id"],
      ids.map((id) => [id]),
    );
    expect(report.problems).to.deep.equal([]);
    // 8 edge values in turn, every 31st row null: the three IDs are 3 of the 8.
    expect(stats.rowsRemoved).to.equal(report.rowsBefore - report.expectedRowsAfter);
    expect(stats.rowsRemoved).to.be.within(1500, 1900);

    const maxU = String(2n ** 64n - 1n);
    const outU = path.join(dir, "uint64.parquet");
    await purgeParquetFile(input, outU, keyMatcher(["big_u"], [maxU]));
    expect(checkPurge(input, outU, ["big_u"], [[maxU]]).problems).to.deep.equal([]);
  });

  it("refuses an ID that is not a canonical integer for an integer column, naming it and why", async () => {
    for (const [i, [id, reason]] of nonCanonicalIntegers.entries()) {
      const out = path.join(dir, `refused-${i}.parquet`);
      const err = await purgeParquetFile(input, out, keyMatcher(["big_id"], ["7", id])).catch((e) => e);
      expect(err, id).to.be.instanceOf(MatchSpecError);
      expect(err.message, id).to.match(/^ID 2: column 'big_id' holds integers and the ID /);
      expect(err.message, id).to.match(reason);
      expect(fs.existsSync(out)).to.equal(false);
    }
    const composite = await purgeParquetFile(
      input,
      path.join(dir, "refused-composite.parquet"),
      keyMatcher(["customer_id", "big_id"], [["c0001", "07"]]),
    ).catch((e) => e);
    expect(composite).to.be.instanceOf(MatchSpecError);
    expect(composite.message).to.match(/^ID 1 part 2: column 'big_id' holds integers/);
    // A string column takes any text, a leading zero included.
    await purgeParquetFile(input, path.join(dir, "string.parquet"), keyMatcher(["customer_id"], ["007"]));
  });

  it("the ingest guard drops exactly the records the purge removes", async () => {
    const optedOut = String(TWO_53 + 1n);
    const guard = new RecordGuard({
      filters: { current: async () => ({ reason: "no filter: every record is confirmed" }) },
      registry: { optedOut: async (ids) => new Set(ids.filter((id) => id === optedOut)) },
      cacheTtlMs: 60_000,
      cacheMaxEntries: 100,
    });
    const { records } = await guard.transform(
      lines.map((line, i) => ({ recordId: String(i), data: Buffer.from(line).toString("base64") })),
    );
    const dropped = records.flatMap((r, i) => (r.result === "Dropped" ? [i] : []));
    expect(records.map((r) => r.result)).to.not.include("ProcessingFailed");

    const purged = await purgeBytes(
      jsonl,
      { name: "events", format: "jsonl" },
      keyMatcher(["customer_id"], [optedOut]),
    );
    const kept = new Set(Buffer.from(purged.bytes).toString().split("\n"));
    const removed = lines.flatMap((line, i) => (kept.has(line) ? [] : [i]));
    expect(dropped).to.deep.equal(removed);
    expect(removed).to.deep.equal([1, 2, 3]);
  });
});
