// The key of one JSON record, as the purge (jsonLines.ts) and the ingest guard (recordGuard.ts) both
// read it, so the two agree on what matches. A string value is the ID as it is; a number is the ID of
// its exact integer value (JSON.parse would round integers beyond 2^53 to a neighbour, so numbers are
// read again from their source text); anything else holds no ID.
import { parse } from "lossless-json";
import { jsonNumberAsIntegerId } from "./subjectIds";

/** A JSON number kept as its source text. */
class NumberText {
  constructor(readonly text: string) {}
}

/**
 * The key parts of `record` (parsed from `line` by JSON.parse) for `columns` (dotted paths reach into
 * objects), or null when a part is missing, null, or neither a string nor an integer.
 */
export function jsonRecordKey(
  line: string,
  record: Record<string, unknown>,
  columns: readonly string[],
): string[] | null {
  const values = columns.map((c) => valueAt(record, c));
  if (values.every((v) => typeof v === "string")) return values as string[];
  if (values.some((v) => typeof v !== "string" && typeof v !== "number")) return null;
  // A number: its exact text, from a second, lossless parse of the line (numbers as source text).
  const exact = parse(line, null, (text) => new NumberText(text)) as Record<string, unknown>;
  const parts: string[] = [];
  for (const c of columns) {
    const v = valueAt(exact, c);
    const part =
      typeof v === "string" ? v : v instanceof NumberText ? jsonNumberAsIntegerId(v.text) : undefined;
    if (part === undefined) return null;
    parts.push(part);
  }
  return parts;
}

function valueAt(record: Record<string, unknown>, path: string): unknown {
  let v: unknown = record;
  for (const name of path.split(".")) {
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[name] : undefined;
  }
  return v;
}
