// `lethe parquet purge|scan` as a user runs it: JSON on stdout, exit 2 and no output file on bad input.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkPurge, keysIn, makeFixture, tempDir } from "./pyarrow";

const lethe = path.resolve(__dirname, "..", "..", "bin", "lethe");

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [lethe, "parquet", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("cli: lethe parquet", () => {
  let dir: string;
  let input: string;
  let idFile: string;
  let ids: string[][];
  before(() => {
    dir = tempDir();
    input = makeFixture("lake", "GZIP", path.join(dir, "in.parquet"));
    ids = keysIn(input, ["customer_id", "account_no"], 3);
    idFile = path.join(dir, "ids.txt");
    fs.writeFileSync(idFile, ids.map((k) => k.join("\t")).join("\n") + "\n");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("purge prints the row counts and writes the purged file (composite key)", () => {
    const out = path.join(dir, "out.parquet");
    const r = run("purge", input, out, "--column", "customer_id", "--column", "account_no", "--ids", idFile);
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout);
    const report = checkPurge(input, out, ["customer_id", "account_no"], ids);
    expect(report.problems).to.deep.equal([]);
    expect(summary).to.deep.equal({
      rowsBefore: report.rowsBefore,
      rowsAfter: report.expectedRowsAfter,
      rowsRemoved: report.rowsBefore - report.expectedRowsAfter,
    });
    expect(summary.rowsRemoved).to.be.greaterThan(0);
  });

  it("scan lists the IDs that occur and their row counts", () => {
    const one = path.join(dir, "one.txt");
    fs.writeFileSync(one, `${ids[0][0]}\nnot-there\n`);
    const r = run("scan", input, "--column", "customer_id", "--ids", one);
    expect(r.code, r.stderr).to.equal(0);
    const result = JSON.parse(r.stdout);
    expect(result.rows).to.equal(5000);
    expect(result.matches.map((m: { id: string }) => m.id)).to.deep.equal([ids[0][0]]);
    expect(result.matches[0].rows).to.be.greaterThan(0);
  });

  it("takes each ID line exactly as written: a leading space is part of the ID", () => {
    const spaced = path.join(dir, "spaced.txt");
    fs.writeFileSync(spaced, ` ${ids[0][0]}\r\n`);
    const r = run(
      "purge",
      input,
      path.join(dir, "spaced.parquet"),
      "--column",
      "customer_id",
      "--ids",
      spaced,
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).rowsRemoved).to.equal(0);
  });

  it("--ids-json takes a JSON array of composite keys", () => {
    const json = path.join(dir, "ids.json");
    fs.writeFileSync(json, JSON.stringify(ids));
    const out = path.join(dir, "json.parquet");
    const r = run(
      "purge",
      input,
      out,
      "--column",
      "customer_id",
      "--column",
      "account_no",
      "--ids-json",
      json,
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(checkPurge(input, out, ["customer_id", "account_no"], ids).problems).to.deep.equal([]);
    expect(JSON.parse(r.stdout).rowsRemoved).to.be.greaterThan(0);
  });

  const bad: [string, () => string[], RegExp][] = [
    [
      "a blank line in the ID file",
      () => [input, "--column", "customer_id", "--ids", idLines(`${ids[0][0]}\n\n${ids[1][0]}\n`)],
      /line 2 is blank/,
    ],
    [
      "a tab inside a part of a composite key",
      () => [
        input,
        "--column",
        "customer_id",
        "--column",
        "account_no",
        "--ids",
        idLines(`${ids[0].join("\t")}\nc\td\t1\n`),
      ],
      /line 2: 3 part\(s\), but 2 column\(s\).*cannot be part of an ID/,
    ],
    [
      "an ID for an integer column that is not a canonical integer",
      () => [input, "--column", "account_no", "--ids", idLines(`10001\n010002\n`)],
      /ID 2: column 'account_no' holds integers and the ID has a leading zero/,
    ],
    [
      "input that is not Parquet",
      () => [idFile, "--column", "customer_id", "--column", "account_no", "--ids", idFile],
      /not a Parquet file/,
    ],
    [
      "an unknown column",
      () => [input, "--column", "nope", "--column", "account_no", "--ids", idFile],
      /unknown column 'nope'/,
    ],
    [
      "IDs with the wrong number of parts",
      () => [input, "--column", "customer_id", "--ids", idFile],
      /2 part\(s\), but 1 column/,
    ],
    ["an empty ID list", () => [input, "--column", "customer_id", "--ids", emptyIds()], /ID list is empty/],
    [
      "an unreadable input file",
      () => [path.join(dir, "missing.parquet"), "--column", "customer_id", "--ids", idFile],
      /cannot read/,
    ],
    ["a missing --ids", () => [input, "--column", "customer_id"], /--ids <file> is required/],
    [
      "a column it cannot write back faithfully",
      () => [
        makeFixture("decimal", "GZIP", path.join(dir, "decimal.parquet")),
        "--column",
        "qty",
        "--ids",
        qtyIds(),
      ],
      /decimal\.parquet: column 'price' \(FIXED_LEN_BYTE_ARRAY\) would be written as INT32/,
    ],
  ];
  let idFiles = 0;
  function idLines(text: string): string {
    const f = path.join(dir, `lines-${idFiles++}.txt`);
    fs.writeFileSync(f, text);
    return f;
  }
  function qtyIds(): string {
    const f = path.join(dir, "qty.txt");
    fs.writeFileSync(f, "3\n5\n");
    return f;
  }
  function emptyIds(): string {
    const f = path.join(dir, "empty.txt");
    fs.writeFileSync(f, "");
    return f;
  }
  for (const [what, args, message] of bad) {
    it(`purge rejects ${what}: exit 2, clear message, no output file`, () => {
      const out = path.join(dir, `bad-${what.replace(/\W+/g, "-")}.parquet`);
      const [first, ...rest] = args();
      const r = run("purge", first, out, ...rest);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(message);
      expect(r.stdout).to.equal("");
      expect(fs.readdirSync(dir).filter((f) => f.includes("bad-"))).to.deep.equal([]);
    });
  }
});
