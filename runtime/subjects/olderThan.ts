// The retention erasure's row predicate, beside the subject matcher: a row matches when its time column
// holds an instant before the cutoff. It is a KeyMatcher (runtime/subjects/matcher.ts) whose `has`
// reads a value's text as a time, so every format's scan and purge (runtime/formats/) apply it unchanged;
// Parquet's Arrow columns are read by matchOlderRows. Null times never match (the row is kept); a value
// that is not a time is refused (MatchSpecError naming it), so nothing is dropped on a guess.
import { DataType, Table } from "apache-arrow";
import { partitionDay } from "../contracts/retention";
import type { KeyMatcher } from "./matcher";
import { MatchSpecError } from "./matcher";

/** What a worker thread needs to rebuild the predicate. */
export interface OlderThan {
  column: string;
  /** Epoch milliseconds: rows strictly before it match. */
  cutoffMs: number;
}

const isoTime = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch milliseconds of ISO-8601 text (a date, or a date and time; no zone: UTC). */
export function timeOfText(text: string, column: string): number {
  const t = text.trim();
  if (!isoTime.test(t))
    throw new MatchSpecError(
      `time column '${column}' holds ${JSON.stringify(text.slice(0, 40))}, not an ISO-8601 date or time`,
    );
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(t) || t.length === 10 ? t : `${t}Z`;
  const ms = Date.parse(zoned.replace(" ", "T"));
  if (Number.isNaN(ms) || !partitionDay(t.slice(0, 10)))
    throw new MatchSpecError(`time column '${column}' holds an impossible time ${JSON.stringify(t)}`);
  return ms;
}

/** A matcher of the rows whose `column` is before `cutoff`. */
export function olderThanMatcher(column: string, cutoff: Date | number): KeyMatcher {
  const cutoffMs = typeof cutoff === "number" ? cutoff : cutoff.getTime();
  return {
    columns: [column],
    size: 0,
    subjects: [],
    keys: new Set<string>(),
    positions: [],
    olderThan: { column, cutoffMs },
    has: (text) => timeOfText(text, column) < cutoffMs,
  };
}

/** matchRows for a time predicate over an Arrow table: `key` is the row's time as ISO text. */
export function matchOlderRows(
  table: Table,
  olderThan: OlderThan,
  onMatch: (row: number, key: string) => void,
): void {
  const { column, cutoffMs } = olderThan;
  const [top, ...rest] = column.split(".");
  let vector = table.getChild(top);
  for (const name of rest) vector = vector && DataType.isStruct(vector.type) ? vector.getChild(name) : null;
  if (!vector) throw new MatchSpecError(`unknown time column '${column}'`);
  const type = vector.type;
  const isTime = DataType.isTimestamp(type) || DataType.isDate(type);
  const isText = DataType.isUtf8(type) || DataType.isLargeUtf8(type);
  if (!isTime && !isText)
    throw new MatchSpecError(
      `time column '${column}' has type ${type}; retention needs a timestamp, a date or ISO-8601 text`,
    );
  for (let row = 0; row < table.numRows; row++) {
    const v: unknown = vector.get(row);
    if (v === null || v === undefined) continue;
    const ms = isText ? timeOfText(String(v), column) : v instanceof Date ? v.getTime() : Number(v);
    if (ms < cutoffMs) onMatch(row, new Date(ms).toISOString());
  }
}
