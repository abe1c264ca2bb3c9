// CSV and TSV purge on fixtures written by Python's csv module: matching rows go, every other byte stays
// (checked against the text Python's writer gave each row), keys compare by value, bad lines are refused.
import { expect } from "chai";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { keyMatcher, MatchSpecError } from "../../../runtime/subjects/matcher";
import { CorruptObjectError } from "../../../runtime/formats/corruptObject";
import { CsvTableOptions } from "../../../runtime/formats/csv/dialect";
import { CsvFormatError } from "../../../runtime/formats/csv/csvRows";
import { csvKeys, purgeCsv, scanCsv } from "../../../runtime/formats/csv/csvPurge";
import { Fixture, FixtureSpec, tempDir, writeCsv } from "./pythonCsv";

const dir = tempDir();
let count = 0;

function fixture(spec: FixtureSpec): Fixture {
  return writeCsv(path.join(dir, `f${++count}.csv${spec.gzip ? ".gz" : ""}`), spec);
}

/** What the purge must leave: the header and the kept rows, each exactly as Python wrote it. */
function expected(f: Fixture, keep: (row: number) => boolean): Buffer {
  return Buffer.from((f.header ?? "") + f.rows.filter((_, i) => keep(i)).join(""), "utf8");
}

const columns = ["customer_id", "name", "note"];
const openCsv: CsvTableOptions = { serde: "OpenCSVSerde", columns, skipHeaderLines: 1 };

// Values that need quoting: the separator, a quote, a line break, leading and trailing spaces.
const rows = [
  ["42", "Ann, the first", "plain"],
  ["b7", 'She said "hi"', "  spaced  "],
  ["42", "again", "two\nlines"],
  ["c9", "", 'ends with "'],
  ["d1", "last", "x"],
];

describe("formats/csv: purge", () => {
  it("OpenCSVSerde, Python's default dialect (QUOTE_MINIMAL, doubled quotes, CRLF, a header)", async () => {
    const f = fixture({ header: columns, rows });
    const r = await purgeCsv(f.bytes, keyMatcher(["customer_id"], ["42", "zz"]), {
      options: openCsv,
      compressed: false,
      object: "s3://lake/t/f.csv",
    });
    expect(Buffer.from(r.bytes).equals(expected(f, (i) => rows[i][0] !== "42"))).to.equal(true);
    expect(f.bytes.includes("\r\n")).to.equal(true);
    expect([r.stats.rowsBefore, r.stats.rowsAfter, r.stats.rowsRemoved]).to.deep.equal([5, 3, 2]);
    expect(r.stats.bytesOut).to.equal(r.bytes.length);
  });

  it('QUOTE_ALL with the escape character before quotes, LF, no header: `"42"` is the ID 42', async () => {
    const f = fixture({
      rows,
      dialect: { quoting: "all", doublequote: false, escapechar: "\\", lineterminator: "\n" },
    });
    expect(f.rows[0].startsWith('"42",')).to.equal(true);
    expect(f.rows[1]).to.include('\\"hi\\"');
    const read = { options: { ...openCsv, skipHeaderLines: 0 }, compressed: false };
    const r = await purgeCsv(f.bytes, keyMatcher(["customer_id"], ["42", "c9"]), read);
    expect(Buffer.from(r.bytes).equals(expected(f, (i) => !["42", "c9"].includes(rows[i][0])))).to.equal(
      true,
    );
    const scan = await scanCsv(f.bytes, keyMatcher(["customer_id"], ["42", "b7"]), read);
    expect(scan.rows).to.equal(5);
    expect([...scan.matches]).to.deep.equal([
      ["42", 2],
      ["b7", 1],
    ]);
  });

  it("matches a value whatever its quoting: a name with the separator, quotes and a line break", async () => {
    const f = fixture({ header: columns, rows: rows.map((r) => [r[1], r[0], r[2]]) });
    const options = { ...openCsv, columns: ["name", "customer_id", "note"] };
    const r = await purgeCsv(f.bytes, keyMatcher(["name"], ['She said "hi"', "Ann, the first"]), {
      options,
      compressed: false,
    });
    expect(Buffer.from(r.bytes).equals(expected(f, (i) => i > 1))).to.equal(true);
    const keys = await csvKeys(f.bytes, ["name"], { options, compressed: false });
    // The empty name is no key.
    expect([...keys.keys.keys()]).to.deep.equal(["Ann, the first", 'She said "hi"', "again", "last"]);
  });

  it("TSV through LazySimpleSerDe: tab separator, escaped tabs, no quoting, LF", async () => {
    const tsvRows = [
      ["x\ty", "u1", 'a "quoted" word'],
      ["plain", "u2", "back\\slash"],
      ["other", "u1", "z"],
    ];
    const f = fixture({
      header: ["note", "user_id", "comment"],
      rows: tsvRows,
      dialect: { delimiter: "\t", quoting: "none", escapechar: "\\", quotechar: null, lineterminator: "\n" },
    });
    expect(f.rows[0]).to.include("x\\\ty");
    const options: CsvTableOptions = {
      serde: "LazySimpleSerDe",
      columns: ["note", "user_id", "comment"],
      separator: "\t",
      escape: "\\",
      skipHeaderLines: 1,
    };
    const r = await purgeCsv(f.bytes, keyMatcher(["user_id"], ["u1"]), { options, compressed: false });
    expect(Buffer.from(r.bytes).equals(expected(f, (i) => i === 1))).to.equal(true);
    const keys = await csvKeys(f.bytes, ["note"], { options, compressed: false });
    expect([...keys.keys.keys()]).to.deep.equal(["x\ty", "plain", "other"]);
  });

  it("gzip, a composite key, CRLF and a last line without a line ending", async () => {
    const keyRows = [
      ["7", "a1", "one"],
      ["8", "a1", "two"],
      ["7", "b2", "three"],
      ["7", "a1", "four"],
    ];
    const f = fixture({
      header: ["tenant", "customer_id", "note"],
      rows: keyRows,
      gzip: true,
      finalNewline: false,
    });
    const read = {
      options: {
        serde: "OpenCSVSerde",
        columns: ["tenant", "customer_id", "note"],
        skipHeaderLines: 1,
      } as const,
      compressed: true,
    };
    const matcher = keyMatcher(["customer_id", "tenant"], [["a1", "7"]]);
    const r = await purgeCsv(f.bytes, matcher, read);
    expect(zlib.gunzipSync(r.bytes).equals(expected(f, (i) => i === 1 || i === 2))).to.equal(true);
    expect(r.stats.rowsRemoved).to.equal(2);
    // The last row, kept, still has no line ending.
    const keepLast = await purgeCsv(f.bytes, keyMatcher(["customer_id", "tenant"], [["a1", "8"]]), read);
    const text = zlib.gunzipSync(keepLast.bytes).toString();
    expect(text).to.equal(expected(f, (i) => i !== 1).toString());
    expect(text.endsWith("four")).to.equal(true);
    const keys = await csvKeys(f.bytes, ["customer_id", "tenant"], read);
    expect([...keys.keys]).to.deep.equal([
      [JSON.stringify(["a1", "7"]), 2],
      [JSON.stringify(["a1", "8"]), 1],
      [JSON.stringify(["b2", "7"]), 1],
    ]);
  });

  it("leaves an object with no match untouched, and keeps empty lines", async () => {
    const input = Buffer.from("id,name\n\n1,a\r\n\n2,b");
    const read = {
      options: { serde: "OpenCSVSerde", columns: ["id", "name"], skipHeaderLines: 1 } as const,
      compressed: false,
    };
    const none = await purgeCsv(input, keyMatcher(["id"], ["9"]), read);
    expect(none.bytes).to.equal(input);
    expect(none.stats.rowsBefore).to.equal(2);
    const last = await purgeCsv(input, keyMatcher(["id"], ["2"]), read);
    expect(Buffer.from(last.bytes).toString()).to.equal("id,name\n\n1,a\r\n\n");
  });

  it("reads an empty object, gzip or not, as an empty table", async () => {
    for (const compressed of [false, true]) {
      const options: CsvTableOptions = { serde: "OpenCSVSerde", columns: ["id"], skipHeaderLines: 1 };
      const r = await purgeCsv(Buffer.alloc(0), keyMatcher(["id"], ["1"]), { options, compressed });
      expect([r.bytes.length, r.stats.rowsBefore]).to.deep.equal([0, 0]);
    }
  });

  describe("refuses, naming the object and line", () => {
    const options: CsvTableOptions = { serde: "OpenCSVSerde", columns: ["id", "name"], skipHeaderLines: 1 };
    const cases: [string, string, RegExp][] = [
      ["an unterminated quote", 'id,name\n1,a\n2,"b\n3,c\n', /line 3: a quoted field is not closed/],
      [
        "a row of another width",
        "id,name\n1,a\n2,b,c\n",
        /line 3: 3 field\(s\), but the table has 2 column\(s\)/,
      ],
      ["a wide row after a quoted line break", 'id,name\n1,"a\r\nb"\r\n2,b,c\n', /line 4: 3 field\(s\)/],
      ["a short row", "id,name\n1,a\n\n2\n", /line 4: 1 field\(s\)/],
      ["text after a closing quote", 'id,name\n1,"a"b\n', /line 2: a closing quote is followed/],
      ["a quote inside an unquoted field", 'id,name\n1,a"b"\n', /line 2: a quote inside an unquoted field/],
      ["bytes that are not UTF-8", "id,name\n1,a\n2,\xff\n", /line 3: not valid UTF-8/],
      ["both escapes in one object", 'id,name\n1,"a""b"\n2,"c\\"d"\n', /line 2: .*doubled quotes/],
    ];
    for (const [what, text, message] of cases) {
      it(what, async () => {
        const bytes = Buffer.from(text, what.includes("UTF-8") ? "latin1" : "utf8");
        const err = await purgeCsv(bytes, keyMatcher(["id"], ["1"]), {
          options,
          compressed: false,
          object: "s3://lake/t/bad.csv",
        }).catch((e) => e);
        expect(err).to.be.instanceOf(CsvFormatError);
        expect(err).to.be.instanceOf(CorruptObjectError);
        expect(err.message).to.match(/^s3:\/\/lake\/t\/bad\.csv is corrupt: /);
        expect(err.message).to.match(message);
      });
    }

    it("a gzip stream that does not inflate", async () => {
      const err = await purgeCsv(Buffer.from("id,name\n1,a\n"), keyMatcher(["id"], ["1"]), {
        options,
        compressed: true,
        object: "o.csv.gz",
      }).catch((e) => e);
      expect(err).to.be.instanceOf(CorruptObjectError);
      expect(err.message).to.match(/^o\.csv\.gz is corrupt: gzip stream: /);
    });

    it("an ID column the table does not have", async () => {
      const err = await purgeCsv(Buffer.from("id,name\n1,a\n"), keyMatcher(["customer_id"], ["1"]), {
        options,
        compressed: false,
      }).catch((e) => e);
      expect(err).to.be.instanceOf(MatchSpecError);
      expect(err.message).to.match(/'customer_id' is not one of the table's columns \(id, name\)/);
    });
  });
});
