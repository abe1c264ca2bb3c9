// `lethe lake load --direct` into a CSV or TSV table: records as the rows of one object in the mapper's
// dialect (runtime/formats/csv/dialect.ts), so that the purge and Athena read back what was loaded.
// OpenCSVSerde rows are written by csv-stringify with every field quoted (the escape character then
// only ever appears inside quotes); LazySimpleSerDe rows are joined on the separator, the escape
// character before a separator or itself, `\N` for null. Nothing is dropped: a field that is not one of
// the table's columns or partition columns, or a value the dialect cannot hold, is refused.
import { stringify } from "csv-stringify/sync";
import { UsageError } from "../../runtime/contracts/errors";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { CsvDialect, csvDialect } from "../../runtime/formats/csv/dialect";

type LakeRecord = Record<string, unknown>;

/** A record's value as the text of a field (null stays null: the SerDe decides how it is written). */
function fieldText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v);
}

function lazySimpleField(d: CsvDialect, value: string | null, where: string, column: string): string {
  if (value === null) return "\\N";
  if (/[\r\n]/.test(value))
    throw new UsageError(
      `lake load: ${where}: ${column} holds a line break, which LazySimpleSerDe cannot hold`,
    );
  if (d.escape === null) {
    if (value.includes(d.separator))
      throw new UsageError(
        `lake load: ${where}: ${column} holds the separator ${JSON.stringify(d.separator)} and the table has no escape character`,
      );
    return value;
  }
  let out = "";
  for (const ch of value) out += ch === d.separator || ch === d.escape ? d.escape + ch : ch;
  return out;
}

/**
 * The rows of `records` as one object of the mapper's table: a header line of the column names when it
 * skips one, LF line endings; `where(i)` names record i in refusals.
 */
export function csvObjectText(m: DataMapper, records: LakeRecord[], where: (i: number) => string): string {
  const d = csvDialect(m.csv!);
  if (d.skipHeaderLines > 1)
    throw new UsageError(
      `lake load: mapper ${m.name} skips ${d.skipHeaderLines} header lines; lake load writes one (the column names)`,
    );
  const known = new Set([...d.columns, ...m.partitionColumns].map((c) => c.toLowerCase()));
  const rows = records.map((r, i) => {
    const unknown = Object.keys(r).filter((k) => !known.has(k.toLowerCase()));
    if (unknown.length > 0)
      throw new UsageError(
        `lake load: ${where(i)} has field(s) ${unknown.join(", ")} that are not columns of mapper ${m.name} (${d.columns.join(", ")})`,
      );
    const byLower = new Map(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]));
    return d.columns.map((c) => fieldText(byLower.get(c.toLowerCase())));
  });
  const lines: (string | null)[][] = d.skipHeaderLines === 1 ? [d.columns, ...rows] : rows;
  if (d.serde === "LazySimpleSerDe")
    return lines
      .map((row, n) =>
        row
          .map((v, c) =>
            lazySimpleField(
              d,
              v,
              n === 0 && d.skipHeaderLines === 1 ? "the header" : where(n - d.skipHeaderLines),
              d.columns[c],
            ),
          )
          .join(d.separator),
      )
      .map((line) => `${line}\n`)
      .join("");
  // OpenCSVSerde has no null: a missing value is an empty field.
  return stringify(
    lines.map((row) => row.map((v) => v ?? "")),
    {
      delimiter: d.separator,
      quote: d.quote!,
      escape: d.escape ?? d.quote!,
      quoted: true,
      record_delimiter: "unix",
    },
  );
}
