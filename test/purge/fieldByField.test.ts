// Big row groups are purged field by field (runtime/formats/parquet/fieldByField.ts): forced here on small files
// with `fieldByFieldFromBytes`, the output must be byte for byte the whole-row-group rewrite's, and
// pyarrow must agree with it. The peak-memory figure for a 1 GB row group is `npm run bench:purge -- --big`.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { keyMatcher } from "../../runtime/subjects/matcher";
import { purgeParquetFile, withFileSource } from "../../runtime/purge/localFiles";
import { scanParquet } from "../../runtime/formats/parquet/parquetPurge";
import { checkPurge, keysIn, makeFixture, tempDir } from "./pyarrow";

describe("purge: big row groups, field by field", () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases = [
    { kind: "lake", codec: "GZIP", column: "customer_id" },
    { kind: "lake", codec: "SNAPPY", column: "user.id" },
    { kind: "int96", codec: "GZIP", column: "account_no" },
    { kind: "int96-hinted", codec: "ZSTD", column: "customer_id" },
  ] as const;
  for (const { kind, codec, column } of cases) {
    it(`writes the same bytes as the whole-row-group rewrite (${kind}, ${codec}, key ${column})`, async () => {
      const input = makeFixture(kind, codec, path.join(dir, `${kind}-${codec}.parquet`));
      const ids = keysIn(input, [column], 300).filter((_, i) => i % 40 === 3);
      const matcher = keyMatcher([column], ids);
      const whole = path.join(dir, `${kind}-${codec}.whole.parquet`);
      const fields = path.join(dir, `${kind}-${codec}.fields.parquet`);
      const a = await purgeParquetFile(input, whole, matcher, { fieldByFieldFromBytes: Infinity });
      const b = await purgeParquetFile(input, fields, matcher, { fieldByFieldFromBytes: 1 });
      expect(
        a.rowGroups.some((g) => g.fieldByField),
        "the whole-row-group path",
      ).to.equal(false);
      expect(
        b.rowGroups.every((g) => g.fieldByField),
        "every row group field by field",
      ).to.equal(true);
      expect(b.rowGroups.filter((g) => g.rewritten).length).to.be.greaterThan(0);
      expect(b.rowsRemoved).to.equal(a.rowsRemoved).and.to.be.greaterThan(0);
      expect(fs.readFileSync(fields).equals(fs.readFileSync(whole)), "identical output bytes").to.equal(true);
      expect(checkPurge(input, fields, [column], ids).problems).to.deep.equal([]);
    });
  }

  it("copies untouched big row groups byte for byte, reading them in pieces", async () => {
    const input = makeFixture("lake", "GZIP", path.join(dir, "copy.parquet"));
    const output = path.join(dir, "copy.out.parquet");
    const ids = keysIn(input, ["customer_id"], 300).slice(0, 2);
    const stats = await purgeParquetFile(input, output, keyMatcher(["customer_id"], ids), {
      fieldByFieldFromBytes: 1,
    });
    const report = checkPurge(input, output, ["customer_id"], ids);
    expect(report.problems).to.deep.equal([]);
    const none = await purgeParquetFile(
      input,
      path.join(dir, "none.parquet"),
      keyMatcher(["customer_id"], ["x"]),
      {
        fieldByFieldFromBytes: 1,
      },
    );
    expect(none.rowGroups.every((g) => !g.rewritten && g.fieldByField)).to.equal(true);
    expect(fs.readFileSync(path.join(dir, "none.parquet")).equals(fs.readFileSync(input))).to.equal(true);
    expect(stats.rowsAfter).to.equal(report.expectedRowsAfter);
  });

  it("scans reading only the key fields and counts as before", async () => {
    const input = makeFixture("lake", "GZIP", path.join(dir, "scan.parquet"));
    const ids = keysIn(input, ["customer_id"], 300).slice(0, 5);
    let bytesRead = 0;
    const { rows, matches } = await withFileSource(input, (source) =>
      scanParquet(
        {
          size: source.size,
          read: (offset, length) => {
            bytesRead += length;
            return source.read(offset, length);
          },
        },
        keyMatcher(["customer_id"], ids),
      ),
    );
    expect(matches.size).to.equal(5);
    expect(rows).to.be.greaterThan(0);
    expect(bytesRead).to.be.lessThan(fs.statSync(input).size / 2);
  });
});
