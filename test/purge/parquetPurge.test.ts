// File-level purge against pyarrow, the reference: exactly the matching rows go, everything else
// (rows, order, schema incl. INT96 and timestamp units, codec, row groups) stays as it was.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { tableFromArrays } from "apache-arrow";
import * as wasm from "parquet-wasm";
import { tableToIPC } from "apache-arrow";
import { keyMatcher, MatchSpecError } from "../../runtime/subjects/matcher";
import { purgeParquetFile } from "../../runtime/purge/localFiles";
import { ParquetFormatError, UnfaithfulRewriteError } from "../../runtime/formats/parquet/parquetPurge";
import { checkPurge, keysIn, makeFixture, tempDir } from "./pyarrow";

describe("purge: Parquet files (checked with pyarrow)", () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const codec of ["GZIP", "SNAPPY", "ZSTD"]) {
    it(`removes string IDs from a ${codec} file and keeps schema, codec and row groups`, async () => {
      const input = makeFixture("lake", codec, path.join(dir, `lake-${codec}.parquet`));
      const output = path.join(dir, `lake-${codec}.out.parquet`);
      const ids = keysIn(input, ["customer_id"], 300).filter((_, i) => i % 50 === 7); // 6 of 300 customers
      const stats = await purgeParquetFile(input, output, keyMatcher(["customer_id"], ids));
      const report = checkPurge(input, output, ["customer_id"], ids);
      expect(report.problems).to.deep.equal([]);
      expect(report.codecs).to.deep.equal([codec]);
      expect(stats.rowsRemoved).to.be.greaterThan(0);
      expect(stats.rowsAfter).to.equal(report.expectedRowsAfter);
      expect(report.rowsAfter).to.equal(report.expectedRowsAfter);
      expect(report.rowGroupRows.length).to.equal(report.inputRowGroupRows.length);
    });
  }

  it("keeps INT96 timestamps (Firehose/Hive) exactly, matching on an integer column", async () => {
    const input = makeFixture("int96", "GZIP", path.join(dir, "int96.parquet"));
    const output = path.join(dir, "int96.out.parquet");
    const ids = keysIn(input, ["account_no"], 250).slice(0, 5);
    const stats = await purgeParquetFile(input, output, keyMatcher(["account_no"], ids));
    const report = checkPurge(input, output, ["account_no"], ids);
    expect(report.problems).to.deep.equal([]);
    expect(report.physicalTypes.filter((t) => t === "INT96")).to.have.length(2);
    expect(stats.rowsRemoved)
      .to.equal(report.rowsBefore - report.expectedRowsAfter)
      .and.to.be.greaterThan(0);
  });

  it("keeps INT96 written from ms/us timestamps with an embedded Arrow schema (ZSTD)", async () => {
    const input = makeFixture("int96-hinted", "ZSTD", path.join(dir, "int96-hinted.parquet"));
    const output = path.join(dir, "int96-hinted.out.parquet");
    const ids = keysIn(input, ["customer_id"], 300).slice(100, 104);
    const stats = await purgeParquetFile(input, output, keyMatcher(["customer_id"], ids));
    const report = checkPurge(input, output, ["customer_id"], ids);
    expect(report.problems).to.deep.equal([]);
    expect(report.physicalTypes.filter((t) => t === "INT96")).to.have.length(2);
    expect(stats.rowsRemoved)
      .to.equal(report.rowsBefore - report.expectedRowsAfter)
      .and.to.be.greaterThan(0);
  });

  it("gives the same result with row groups purged in worker threads", async () => {
    const input = makeFixture("int96", "GZIP", path.join(dir, "workers.parquet"));
    const ids = keysIn(input, ["customer_id"], 300).slice(0, 9);
    const inline = path.join(dir, "workers.inline.parquet");
    const threaded = path.join(dir, "workers.threaded.parquet");
    const a = await purgeParquetFile(input, inline, keyMatcher(["customer_id"], ids), { workers: 0 });
    const b = await purgeParquetFile(input, threaded, keyMatcher(["customer_id"], ids), { workers: 2 });
    expect(b).to.deep.equal(a);
    expect(checkPurge(input, threaded, ["customer_id"], ids).problems).to.deep.equal([]);
    expect(fs.readFileSync(threaded).equals(fs.readFileSync(inline))).to.equal(true);
  });

  it("reports a refusal from a worker thread with its error class", async () => {
    const input = makeFixture("decimal", "SNAPPY", path.join(dir, "workers-decimal.parquet"));
    const ids = keysIn(input, ["customer_id"], 1);
    const output = path.join(dir, "workers-decimal.out.parquet");
    const err = await purgeParquetFile(input, output, keyMatcher(["customer_id"], ids), { workers: 2 }).catch(
      (e) => e,
    );
    expect(err).to.be.instanceOf(UnfaithfulRewriteError);
    expect(fs.existsSync(output)).to.equal(false);
  });

  it("matches an ID inside a struct field", async () => {
    const input = makeFixture("lake", "GZIP", path.join(dir, "struct.parquet"));
    const output = path.join(dir, "struct.out.parquet");
    const ids = keysIn(input, ["user.id"], 3);
    const stats = await purgeParquetFile(input, output, keyMatcher(["user.id"], ids));
    const report = checkPurge(input, output, ["user.id"], ids);
    expect(report.problems).to.deep.equal([]);
    expect(stats.rowsRemoved)
      .to.equal(report.rowsBefore - report.expectedRowsAfter)
      .and.to.be.greaterThan(0);
  });

  it("matches composite keys (string + integer) among 100,000 IDs", async () => {
    const input = makeFixture("lake", "SNAPPY", path.join(dir, "composite.parquet"));
    const output = path.join(dir, "composite.out.parquet");
    const present = keysIn(input, ["customer_id", "account_no"], 40).filter((_, i) => i % 10 === 0);
    // A present customer with another account must survive: only the full key matches.
    const decoys = present.map(([c, a]) => [c, String(Number(a) + 1_000_000)]);
    const many = Array.from({ length: 100_000 - present.length - decoys.length }, (_, i) => [
      `x${i}`,
      String(i),
    ]);
    const ids = [...present, ...decoys, ...many];
    const matcher = keyMatcher(["customer_id", "account_no"], ids);
    expect(matcher.size).to.equal(100_000);
    const stats = await purgeParquetFile(input, output, matcher);
    const report = checkPurge(input, output, ["customer_id", "account_no"], ids);
    expect(report.problems).to.deep.equal([]);
    expect(stats.rowsRemoved)
      .to.equal(report.rowsBefore - report.expectedRowsAfter)
      .and.to.be.greaterThan(0);
  });

  it("copies row groups without a match byte for byte, and drops a row group left empty", async () => {
    const input = makeFixture("lake", "GZIP", path.join(dir, "untouched.parquet"));
    const output = path.join(dir, "untouched.out.parquet");
    // payload is unique per row: pick the first 3 rows of row group 0 and all 600 of the last one.
    const payloads = keysIn(input, ["payload"], 5000);
    const ids = [...payloads.slice(0, 3), ...payloads.slice(4400)];
    const stats = await purgeParquetFile(input, output, keyMatcher(["payload"], ids));
    const report = checkPurge(input, output, ["payload"], ids);
    expect(report.problems).to.deep.equal([]);
    expect(report.inputRowGroupRows).to.deep.equal([1100, 1100, 1100, 1100, 600]);
    expect(report.rowGroupRows).to.deep.equal([1097, 1100, 1100, 1100]);
    expect(report.identicalRowGroups).to.deep.equal([1, 2, 3]);
    expect(stats.rowGroups.map((g) => g.rewritten)).to.deep.equal([true, false, false, false, true]);
    expect(stats.rowsRemoved).to.equal(603);
  });

  it("purges a file written by parquet-wasm", async () => {
    const n = 3000;
    const table = tableFromArrays({
      customer_id: Array.from({ length: n }, (_, i) => `c${i % 100}`),
      seq: Int32Array.from({ length: n }, (_, i) => i),
    });
    const props = new wasm.WriterPropertiesBuilder()
      .setCompression(wasm.Compression.GZIP)
      .setMaxRowGroupSize(1000)
      .build();
    const input = path.join(dir, "wasm.parquet");
    fs.writeFileSync(input, wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(table, "stream")), props));
    const output = path.join(dir, "wasm.out.parquet");
    const stats = await purgeParquetFile(input, output, keyMatcher(["customer_id"], ["c7", "c42"]));
    const report = checkPurge(input, output, ["customer_id"], [["c7"], ["c42"]]);
    expect(report.problems).to.deep.equal([]);
    expect(report.codecs).to.deep.equal(["GZIP"]);
    expect(stats.rowsRemoved).to.equal(60);
    expect(report.rowGroupRows).to.deep.equal([980, 980, 980]);
  });

  it("refuses a column it cannot write back in its physical type, and leaves no output", async () => {
    const input = makeFixture("decimal", "GZIP", path.join(dir, "decimal.parquet"));
    const output = path.join(dir, "decimal.out.parquet");
    const ids = keysIn(input, ["customer_id"], 1);
    const err = await purgeParquetFile(input, output, keyMatcher(["customer_id"], ids)).catch((e) => e);
    expect(err).to.be.instanceOf(UnfaithfulRewriteError);
    expect(String(err.message)).to.match(/price.*FIXED_LEN_BYTE_ARRAY/);
    expect(fs.readdirSync(dir).filter((f) => f.includes("decimal.out"))).to.deep.equal([]);
  });

  it("rejects input that is not Parquet and unknown columns, with clear errors", async () => {
    const bogus = path.join(dir, "bogus.parquet");
    fs.writeFileSync(bogus, "customer_id\nc1\n");
    const err1 = await purgeParquetFile(
      bogus,
      path.join(dir, "b.out"),
      keyMatcher(["customer_id"], ["c1"]),
    ).catch((e) => e);
    expect(err1).to.be.instanceOf(ParquetFormatError);
    const input = makeFixture("lake", "SNAPPY", path.join(dir, "cols.parquet"));
    const err2 = await purgeParquetFile(input, path.join(dir, "c.out"), keyMatcher(["nope"], ["c1"])).catch(
      (e) => e,
    );
    expect(err2).to.be.instanceOf(MatchSpecError);
    expect(err2.message).to.match(/unknown column 'nope'/);
    const err3 = await purgeParquetFile(input, path.join(dir, "d.out"), keyMatcher(["amount"], ["1"])).catch(
      (e) => e,
    );
    expect(err3).to.be.instanceOf(MatchSpecError);
    expect(err3.message).to.match(/only string and integer/);
    expect(fs.existsSync(path.join(dir, "b.out")) || fs.existsSync(path.join(dir, "c.out"))).to.equal(false);
  });
});
