// A mapper's CSV options: Glue's defaults per SerDe, clear refusals, and the SerDeInfo Athena reads with.
import { expect } from "chai";
import {
  CsvOptionsError,
  CsvTableOptions,
  csvDialect,
  glueSerdeInfo,
} from "../../../runtime/formats/csv/dialect";

describe("formats/csv: dialect", () => {
  it("applies each SerDe's defaults", () => {
    expect(csvDialect({ serde: "OpenCSVSerde", columns: ["id"] })).to.deep.equal({
      serde: "OpenCSVSerde",
      columns: ["id"],
      separator: ",",
      quote: '"',
      escape: "\\",
      skipHeaderLines: 0,
    });
    expect(csvDialect({ serde: "LazySimpleSerDe", columns: ["id"] })).to.deep.equal({
      serde: "LazySimpleSerDe",
      columns: ["id"],
      separator: "\u0001",
      quote: null,
      escape: null,
      skipHeaderLines: 0,
    });
  });

  const bad: [string, unknown, RegExp][] = [
    [
      "an unknown SerDe",
      { serde: "RegexSerDe", columns: ["id"] },
      /serde must be one of OpenCSVSerde, LazySimpleSerDe/,
    ],
    ["no columns", { serde: "OpenCSVSerde", columns: [] }, /columns must list/],
    [
      "a column twice (any case)",
      { serde: "OpenCSVSerde", columns: ["id", "ID"] },
      /column 'ID' is listed twice/,
    ],
    [
      "a column that is no name",
      { serde: "OpenCSVSerde", columns: ["a b"] },
      /column "a b" is not a column name/,
    ],
    [
      "a separator of two characters",
      { serde: "OpenCSVSerde", columns: ["id"], separator: "||" },
      /separator must be one ASCII character/,
    ],
    [
      "a non-ASCII quote",
      { serde: "OpenCSVSerde", columns: ["id"], quote: "«" },
      /quote must be one ASCII character/,
    ],
    [
      "a line ending as separator",
      { serde: "OpenCSVSerde", columns: ["id"], separator: "\n" },
      /separator cannot be a line ending/,
    ],
    [
      "a quote for LazySimpleSerDe",
      { serde: "LazySimpleSerDe", columns: ["id"], quote: '"' },
      /LazySimpleSerDe has no quote character/,
    ],
    [
      "the separator as quote",
      { serde: "OpenCSVSerde", columns: ["id"], quote: "," },
      /separator must differ/,
    ],
    [
      "negative header lines",
      { serde: "OpenCSVSerde", columns: ["id"], skipHeaderLines: -1 },
      /skipHeaderLines must be a whole number/,
    ],
    [
      "an unknown option",
      { serde: "OpenCSVSerde", columns: ["id"], delimiter: ";" },
      /unknown option\(s\) delimiter/,
    ],
  ];
  for (const [what, options, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => csvDialect(options as CsvTableOptions)).to.throw(CsvOptionsError, message);
    });
  }

  it("gives Athena OpenCSVSerde's properties and the header count", () => {
    expect(
      glueSerdeInfo({ serde: "OpenCSVSerde", columns: ["id"], separator: ";", skipHeaderLines: 1 }),
    ).to.deep.equal({
      serdeInfo: {
        SerializationLibrary: "org.apache.hadoop.hive.serde2.OpenCSVSerde",
        Parameters: { separatorChar: ";", quoteChar: '"', escapeChar: "\\" },
      },
      tableParameters: { classification: "csv", "skip.header.line.count": "1" },
    });
  });

  it("gives Athena LazySimpleSerDe's field and escape delimiters", () => {
    expect(
      glueSerdeInfo({ serde: "LazySimpleSerDe", columns: ["id"], separator: "\t", escape: "\\" }),
    ).to.deep.equal({
      serdeInfo: {
        SerializationLibrary: "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        Parameters: { "field.delim": "\t", "serialization.format": "\t", "escape.delim": "\\" },
      },
      tableParameters: { classification: "csv", "skip.header.line.count": "0" },
    });
  });
});
