// The local find engine reads CSV and TSV objects as the purge does: the registry's csv format makes each
// local copy (the ID columns, runtime/formats/csv/localFindCopy.ts) and DuckDB reads the copies with the
// format's read_csv and the finder's shared options. Over Python-written fixtures of every dialect, in
// Hive-style partitions named as local copies are, it finds exactly the keys csvKeys finds in each object,
// including dialects DuckDB cannot read itself (doubled quotes under OpenCSVSerde's default escape,
// LazySimpleSerDe's escaped separators).
import { expect } from "chai";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CsvTableOptions } from "../../../runtime/formats/csv/dialect";
import { lakeFormatOf } from "../../../runtime/formats";
import { csvKeys } from "../../../runtime/formats/csv/csvPurge";
import { keyText } from "../../../runtime/subjects/matcher";
import { bufferSource } from "../../../runtime/formats/byteSource";
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
    name: "OpenCSVSerde's default escape (a backslash) over Python's default dialect (doubled quotes)",
    options: { serde: "OpenCSVSerde", columns, skipHeaderLines: 1 },
    idColumns: ["customer_id"],
    compressed: true,
    files: [0, 1].map(() => ({
      header: columns,
      rows: [...people, ['x"1', "7", "quoted id", "y"]],
      gzip: true,
    })),
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
  {
    name: "LazySimpleSerDe with a backslash escape: escaped tabs, NULL IDs",
    options: { serde: "LazySimpleSerDe", columns, separator: "\t", escape: "\\" },
    idColumns: ["customer_id"],
    compressed: false,
    files: [0, 1].map((i) => ({
      rows: [
        ...people.slice(i).map((r) => [r[0], r[1], `${r[2]}\tand a tab`, r[3].replace(/\n/g, " ")]),
        ["\\N", "7", "a NULL id", "z"],
        ["t\tab", "7", "a tab in the id", "z"],
      ],
      dialect: { delimiter: "\t", quoting: "none", quotechar: null, escapechar: "\\", lineterminator: "\n" },
    })),
  },
];

describe("formats/csv: the local find engine's copies", () => {
  const dir = tempDir();

  for (const c of cases) {
    it(`finds csvKeys' keys: ${c.name}`, async () => {
      const format = lakeFormatOf({ format: c.compressed ? "csv.gz" : "csv", csv: c.options });
      const copied = format.localFind.copiedColumns(c.idColumns);
      expect(copied).to.deep.equal([...c.idColumns].sort());
      const expected: string[] = [];
      const files: string[] = [];
      for (const [i, spec] of c.files.entries()) {
        const partition = path.join(dir, c.name.slice(0, 24).replace(/\W/g, "_"), `dt=2024-01-0${i + 1}`);
        const object = writeCsv(path.join(partition, `part.csv${c.compressed ? ".gz" : ""}`), spec);
        // Named as runtime/erasure/find/localCopies.ts names a copy: the key, then its cache tag.
        const copy = path.join(partition, `part.csv${c.compressed ? ".gz" : ""}.0123abcd`);
        const read = await format.localFind.copy(bufferSource(object.bytes), copied, copy);
        expect(read).to.equal(object.bytes.length);
        files.push(copy);
        const { keys } = await csvKeys(object.bytes, c.idColumns, {
          options: c.options,
          compressed: c.compressed,
        });
        for (const [key, rows] of keys) expected.push(`dt=2024-01-0${i + 1} ${key} ${rows}`);
      }
      expect(expected.length).to.be.greaterThan(4);

      const instance = await DuckDBInstance.create(":memory:");
      const conn = await instance.connect();
      try {
        const list = files.map((f) => `'${f}'`).join(", ");
        const ids = c.idColumns.map((col) => `"${col}"`).join(", ");
        const read = format.localFind.duckDbRead(
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
