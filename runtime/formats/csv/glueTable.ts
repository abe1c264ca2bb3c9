// The CSV dialect a Glue table declares, and where it differs from the data mapper's: Athena reads the
// table as its Glue definition says while the purge, the indexer and the local find read as the
// mapper's `csv` options say (runtime/formats/csv/dialect.ts). If the two disagreed (another
// separator, a header line on one side only, the columns in another order), find and purge would see
// different rows and a subject's row could be missed; so find refuses the mapper instead, naming the
// difference (runtime/erasure/find/glueSchema.ts).
import { CsvDialect, CsvSerde, csvSerdes } from "./dialect";

/** The parts of a Glue table that decide how its CSV objects are read. */
export interface GlueCsvDefinition {
  serializationLibrary?: string;
  serdeParameters?: Record<string, string>;
  tableParameters?: Record<string, string>;
  /** The data columns in order (partition keys are not in the objects). */
  columns: string[];
}

const libraries: Record<CsvSerde, string> = {
  OpenCSVSerde: "org.apache.hadoop.hive.serde2.OpenCSVSerde",
  LazySimpleSerDe: "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
};

const shown = (c: string | null) => (c === null ? "none" : JSON.stringify(c));

/**
 * What the Glue table reads differently from the mapper's dialect, one phrase per difference (empty
 * when they agree). Glue's own defaults apply where the table leaves a parameter out.
 */
export function glueCsvDifferences(dialect: CsvDialect, table: GlueCsvDefinition): string[] {
  const serde = csvSerdes.find((s) => libraries[s] === table.serializationLibrary);
  if (serde !== dialect.serde)
    return [`SerDe ${table.serializationLibrary ?? "none"} (the mapper says ${libraries[dialect.serde]})`];
  const p = table.serdeParameters ?? {};
  const open = serde === "OpenCSVSerde";
  const separator = open
    ? (p.separatorChar ?? ",")
    : (p["field.delim"] ?? p["serialization.format"] ?? "\u0001");
  const quote = open ? (p.quoteChar ?? '"') : null;
  const escape = open ? (p.escapeChar ?? "\\") : (p["escape.delim"] ?? null);
  const skip = Number(table.tableParameters?.["skip.header.line.count"] ?? 0);
  const differences: string[] = [];
  const compare = (what: string, theirs: string | null, ours: string | null) => {
    if (theirs !== ours) differences.push(`${what} ${shown(theirs)} (the mapper says ${shown(ours)})`);
  };
  compare("separator", separator, dialect.separator);
  compare("quote", quote, dialect.quote);
  compare("escape", escape, dialect.escape);
  if (skip !== dialect.skipHeaderLines)
    differences.push(`skip.header.line.count ${skip} (the mapper says ${dialect.skipHeaderLines})`);
  const lower = (cs: readonly string[]) => cs.map((c) => c.toLowerCase()).join(", ");
  if (lower(table.columns) !== lower(dialect.columns))
    differences.push(`columns ${lower(table.columns)} (the mapper says ${lower(dialect.columns)})`);
  return differences;
}
