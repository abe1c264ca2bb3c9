// The local find engine reads CSV and TSV objects as the purge does: DuckDB's read_csv as the registry's
// csv format gives it (duckdbReader's options and the finder's shared ones), over Python-written fixtures
// in Hive-style partitions named as local copies are, finds exactly the keys csvKeys finds in each object.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CsvTableOptions } from "../../../runtime/formats/csv/dialect";
import { lakeFormatOf } from "../../../runtime/formats";
import { csvKeys } from "../../../runtime/formats/csv/csvPurge";
import { keyText } from "../../../runtime/subjects/matcher";
import { FixtureSpec, tempDir, writeCsv } from "./pythonCsv";

interface Case {
  name: string;
  options: CsvTableOptions;
  idColumns: string[];
  compressed: boolean;
  files: FixtureSpec[];
}

const people = [
  ["42", "7", "Ann, the first", "two\nlines"],
  ["b7", "7", 'She said "hi"', "  spaced  "],
  ["42", "8", "again", ""],
  ["", "7", "no id", "x"],
  ["ü-9", "7", "näme", 'ends with "'],
];
const columns = ["customer_id", "tenant", "name", "note"];

const cases: Case[] = [
  {
    name: "OpenCSVSerde, QUOTE_MINIMAL with doubled quotes, CRLF, a header",
    options: { serde: "OpenCSVSerde", columns, escape: '"', skipHeaderLines: 1 },
    idColumns: ["customer_id"],
    compressed: false,
    files: [
      { header: columns, rows: people },
      { header: columns, rows: people.slice(1), finalNewline: false },
    ],
  },
  {
    name: "OpenCSVSerde, QUOTE_ALL with escaped quotes, LF, no header, gzip, a composite key",
    options: { serde: "OpenCSVSerde", columns },
    idColumns: ["customer_id", "tenant"],
    compressed: true,
    files: [0, 1].map(() => ({
      rows: people,
      gzip: true,
      dialect: { quoting: "all", doublequote: false, escapechar: "\\", lineterminator: "\n" },
    })),
  },
  {
    name: "LazySimpleSerDe, tab-separated, a header",
    options: { serde: "LazySimpleSerDe", columns, separator: "\t", skipHeaderLines: 1 },
    idColumns: ["tenant", "customer_id"],
    compressed: false,
    files: [0, 1].map((i) => ({
      header: columns,
      rows: people.slice(i).map((r) => r.map((v) => v.replace(/\n/g, " "))),
      dialect: { delimiter: "\t", quoting: "none", quotechar: null, escapechar: "\\", lineterminator: "\n" },
    })),
  },
];

describe("formats/csv: DuckDB reader", () => {
  const dir = tempDir();

  for (const c of cases) {
    it(`finds csvKeys' keys: ${c.name}`, async () => {
      const files = c.files.map((spec, i) => {
        const file = path.join(
          dir,
          c.name.slice(0, 12).replace(/\W/g, "_"),
          `dt=2024-01-0${i + 1}`,
          `part.csv${c.compressed ? ".gz" : ""}.0123abcd`,
        );
        writeCsv(file, spec);
        return file;
      });
      const expected: string[] = [];
      for (const file of files) {
        const { keys } = await csvKeys(fs.readFileSync(file), c.idColumns, {
          options: c.options,
          compressed: c.compressed,
        });
        for (const [key, rows] of keys) expected.push(`${path.basename(path.dirname(file))} ${key} ${rows}`);
      }
      expect(expected.length).to.be.greaterThan(4);

      const instance = await DuckDBInstance.create(":memory:");
      const conn = await instance.connect();
      try {
        const list = files.map((f) => `'${f}'`).join(", ");
        const ids = c.idColumns.map((col) => `"${col}"`).join(", ");
        const read = lakeFormatOf({
          format: c.compressed ? "csv.gz" : "csv",
          csv: c.options,
        }).localFind.duckDbRead(
          `[${list}]`,
          // What runtime/erasure/find/duckdbFinder.ts adds for a mapper partitioned on dt.
          "filename = true, union_by_name = true, hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}",
        );
        const reader = await conn.runAndReadAll(`SELECT dt, ${ids}, count(*) FROM ${read} GROUP BY ALL`);
        const found = reader
          .getRows()
          .map((r) => r.map((v) => (v === null ? null : String(v))))
          .filter((r) => r.slice(1, -1).every((v) => v !== null && v !== ""))
          .map((r) => `dt=${r[0]} ${keyText(r.slice(1, -1) as string[])} ${r[r.length - 1]}`);
        expect(found.sort()).to.deep.equal(expected.sort());
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    });
  }
});
