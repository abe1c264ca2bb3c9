// The local find engine's reading of a CSV or TSV table: DuckDB's read_csv with the table's dialect,
// its columns named in order and all VARCHAR (IDs compare as text, as the manifest holds them), and no
// sniffing, so that it reads the rows runtime/formats/csv/csvRows.ts reads.
import { CsvTableOptions, csvDialect } from "./dialect";

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The options of `read_csv([files], <these>, filename = true, ...)`. LazySimpleSerDe's escape
 * character outside quotes is not one DuckDB knows: such a table's find may miss a row whose fields hold
 * an escaped separator, the purge does not.
 */
export function duckdbReader(options: CsvTableOptions, compressed: boolean): string {
  const d = csvDialect(options);
  const columns = d.columns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(", ");
  const settings = [
    `delim = ${sqlString(d.separator)}`,
    // An empty quote turns quoting off.
    `quote = ${sqlString(d.quote ?? "")}`,
    `escape = ${sqlString(d.escape ?? d.quote ?? "")}`,
    "header = false",
    `skip = ${d.skipHeaderLines}`,
    `columns = {${columns}}`,
    "auto_detect = false",
    `compression = ${sqlString(compressed ? "gzip" : "none")}`,
  ];
  if (d.serde === "LazySimpleSerDe") settings.push(`nullstr = ${sqlString("\\N")}`);
  return settings.join(", ");
}
