// The key of one JSON record, as the purge (runtime/formats/jsonLines/jsonLines.ts), the indexer and the
// ingest guard (runtime/ingest/recordGuard.ts) all read it, so they agree on what matches. A string
// value is the ID as it is; a number is the ID of its exact integer value (JSON.parse would round
// integers beyond 2^53 to a neighbour, so numbers are read again from their source text); anything else
// holds no ID. A path through an array (runtime/subjects/columnPath.ts) gives one ID per element.
import { parse } from "lossless-json";
import { isArrayPath, jsonValuesAt } from "./columnPath";
import { jsonNumberAsIntegerId } from "./subjectIds";

/** A JSON number kept as its source text. */
class NumberText {
  constructor(readonly text: string) {}
}

/**
 * The key parts of `record` (parsed from `line` by JSON.parse) for `columns` (dotted paths reach into
 * objects), or null when a part is missing, null, or neither a string nor an integer. For paths through
 * arrays, use jsonRecordKeys.
 */
export function jsonRecordKey(
  line: string,
  record: Record<string, unknown>,
  columns: readonly string[],
): string[] | null {
  if (columns.some(isArrayPath)) throw new Error("jsonRecordKey reads plain paths only: use jsonRecordKeys");
  return jsonRecordKeys(line, record, columns)[0] ?? null;
}

/**
 * Every key of `record`: one for plain paths (none when a part is missing or not an ID), and for a path
 * through an array one per element holding an ID (elements that do not are skipped). Composite keys
 * combine every part's values.
 */
export function jsonRecordKeys(
  line: string,
  record: Record<string, unknown>,
  columns: readonly string[],
): string[][] {
  const values = columns.map((c) => jsonValuesAt(record, c));
  if (values.some((v) => v.length === 0)) return [];
  const plainTexts = values.every((vs) => vs.every((v) => typeof v === "string"));
  let parts: string[][];
  if (plainTexts) parts = values as string[][];
  else {
    // A number: its exact text, from a second, lossless parse of the line (numbers as source text).
    const exact = parse(line, null, (text) => new NumberText(text)) as Record<string, unknown>;
    parts = columns.map((c) =>
      jsonValuesAt(exact, c).flatMap((v) => {
        const part =
          typeof v === "string" ? v : v instanceof NumberText ? jsonNumberAsIntegerId(v.text) : undefined;
        return part === undefined ? [] : [part];
      }),
    );
    // A plain path whose one value is not an ID: the record has no key.
    if (parts.some((p) => p.length === 0)) return [];
  }
  return combinations(parts);
}

function combinations(parts: string[][]): string[][] {
  let keys: string[][] = [[]];
  for (const values of parts) keys = keys.flatMap((k) => [...new Set(values)].map((v) => [...k, v]));
  return keys;
}
