// How a CSV or TSV table is read, as its Glue table says: the SerDe, its separator, quote and escape
// characters, the header lines to skip and the columns in the table's order. The purge, the indexer and
// the local find engine read objects with these options; glueSerdeInfo is the Glue definition that makes
// Athena read them the same way (find checks a table against it: ./glueTable.ts).
import type { CsvTableOptions } from "../../contracts/mappers";
import { MatchSpecError } from "../../subjects/matcher";

export type { CsvTableOptions };

export type CsvSerde = CsvTableOptions["serde"];

export const csvSerdes: readonly CsvSerde[] = ["OpenCSVSerde", "LazySimpleSerDe"];

/** The options with every default applied. `quote` and `escape` are null where the SerDe has none. */
export interface CsvDialect {
  serde: CsvSerde;
  columns: string[];
  separator: string;
  quote: string | null;
  escape: string | null;
  skipHeaderLines: number;
}

/** A data mapper's `csv` options cannot be used. */
export class CsvOptionsError extends Error {
  constructor(problem: string) {
    super(`csv options: ${problem}`);
    this.name = "CsvOptionsError";
  }
}

const columnName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function character(name: string, value: unknown): string {
  // Single ASCII bytes: rows are framed on the object's bytes, where no byte of a multi-byte UTF-8
  // character can be taken for one of them.
  if (typeof value !== "string" || value.length !== 1 || value.charCodeAt(0) > 0x7f)
    throw new CsvOptionsError(`${name} must be one ASCII character, got ${JSON.stringify(value)}`);
  if (value === "\n" || value === "\r") throw new CsvOptionsError(`${name} cannot be a line ending`);
  return value;
}

/** Validates the options (unknown keys included) and applies Glue's defaults for the SerDe. */
export function csvDialect(options: CsvTableOptions): CsvDialect {
  if (options === null || typeof options !== "object" || Array.isArray(options))
    throw new CsvOptionsError("must be an object");
  const known = ["serde", "columns", "separator", "quote", "escape", "skipHeaderLines"];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new CsvOptionsError(`unknown option(s) ${unknown.join(", ")}`);
  if (!csvSerdes.includes(options.serde))
    throw new CsvOptionsError(
      `serde must be one of ${csvSerdes.join(", ")}, got ${JSON.stringify(options.serde)}`,
    );
  const columns = options.columns;
  if (!Array.isArray(columns) || columns.length === 0)
    throw new CsvOptionsError("columns must list the table's columns in order");
  const seen = new Set<string>();
  for (const c of columns) {
    if (typeof c !== "string" || !columnName.test(c))
      throw new CsvOptionsError(`column ${JSON.stringify(c)} is not a column name`);
    // Glue and Athena fold column names to lower case: two names differing by case are one column.
    if (seen.has(c.toLowerCase())) throw new CsvOptionsError(`column '${c}' is listed twice`);
    seen.add(c.toLowerCase());
  }
  const skip = options.skipHeaderLines ?? 0;
  if (!Number.isSafeInteger(skip) || skip < 0)
    throw new CsvOptionsError(`skipHeaderLines must be a whole number >= 0, got ${JSON.stringify(skip)}`);
  const open = options.serde === "OpenCSVSerde";
  if (!open && options.quote !== undefined)
    throw new CsvOptionsError("LazySimpleSerDe has no quote character (it never unquotes a field)");
  const separator = character("separator", options.separator ?? (open ? "," : "\u0001"));
  const quote = open ? character("quote", options.quote ?? '"') : null;
  const escape = options.escape !== undefined ? character("escape", options.escape) : open ? "\\" : null;
  if (separator === quote || separator === escape)
    throw new CsvOptionsError("the separator must differ from the quote and escape characters");
  return { serde: options.serde, columns: [...columns], separator, quote, escape, skipHeaderLines: skip };
}

/** The Glue StorageDescriptor.SerdeInfo and the table parameters that make Athena read as we do. */
export interface GlueCsvTable {
  serdeInfo: { SerializationLibrary: string; Parameters: Record<string, string> };
  tableParameters: Record<string, string>;
}

export function glueSerdeInfo(options: CsvTableOptions): GlueCsvTable {
  const d = csvDialect(options);
  const tableParameters: Record<string, string> = {
    classification: "csv",
    "skip.header.line.count": String(d.skipHeaderLines),
  };
  if (d.serde === "OpenCSVSerde") {
    const parameters: Record<string, string> = { separatorChar: d.separator, quoteChar: d.quote ?? '"' };
    if (d.escape !== null) parameters.escapeChar = d.escape;
    return {
      serdeInfo: {
        SerializationLibrary: "org.apache.hadoop.hive.serde2.OpenCSVSerde",
        Parameters: parameters,
      },
      tableParameters,
    };
  }
  const parameters: Record<string, string> = {
    "field.delim": d.separator,
    "serialization.format": d.separator,
  };
  if (d.escape !== null) parameters["escape.delim"] = d.escape;
  return {
    serdeInfo: {
      SerializationLibrary: "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
      Parameters: parameters,
    },
    tableParameters,
  };
}

/** Each ID column's position in the row, by name (case-insensitive, as Glue folds names); no struct paths. */
export function idColumnIndexes(dialect: CsvDialect, idColumns: readonly string[]): number[] {
  const lower = dialect.columns.map((c) => c.toLowerCase());
  return idColumns.map((id) => {
    const i = lower.indexOf(id.toLowerCase());
    if (i < 0)
      throw new MatchSpecError(
        `ID column '${id}' is not one of the table's columns (${dialect.columns.join(", ")})`,
      );
    return i;
  });
}
