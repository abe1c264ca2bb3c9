// JSON Lines objects (plain or gzip): lines whose key matches are dropped, every other line is kept
// byte for byte. A line that is not a JSON object, bytes that are not UTF-8 and a gzip stream that does
// not inflate are errors naming the object (they could hide an ID we cannot check).
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { KeyMatcher, keyText } from "../../subjects/matcher";
import type { PurgeStats } from "../lakeFormat";
import { CorruptObjectError, messageOf } from "../corruptObject";
import { jsonRecordKeys } from "../../subjects/jsonRecordKey";

const gunzip = promisify(zlib.gunzip);
export const gzip = promisify(zlib.gzip);

/** A line of a JSON Lines object that is not a JSON object. */
export class JsonLinesError extends CorruptObjectError {
  constructor(object: string | undefined, line: number, detail: string) {
    super(object, `line ${line}`, detail);
    this.name = "JsonLinesError";
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The object's text: gzip inflated, UTF-8 decoded strictly (a replaced byte would change kept lines). */
export async function textOf(input: Uint8Array, object: string | undefined): Promise<string> {
  let bytes = input;
  if (isGzip(input)) {
    try {
      bytes = await gunzip(input);
    } catch (err) {
      throw new CorruptObjectError(object, "gzip stream", messageOf(err));
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CorruptObjectError(object, "text", "not valid UTF-8");
  }
}

/** `object` names the object in errors (a path or an s3:// URL). */
export async function purgeJsonLines(
  input: Uint8Array,
  matcher: KeyMatcher,
  object?: string,
): Promise<{ bytes: Uint8Array; stats: PurgeStats }> {
  const compressed = isGzip(input);
  const text = await textOf(input, object);
  const lines = text.split("\n");
  const kept: string[] = [];
  let rowsBefore = 0;
  lines.forEach((line, i) => {
    if (line.trim() === "") {
      kept.push(line); // blank lines (and the final newline) are structure, not rows
      return;
    }
    rowsBefore++;
    const keys = keysOf(line, i + 1, matcher, object);
    if (!keys.some((k) => matcher.has(k))) kept.push(line);
  });
  const rowsAfter = kept.filter((l) => l.trim() !== "").length;
  const out = Buffer.from(kept.join("\n"), "utf8");
  const bytes = compressed ? await gzip(out) : out;
  return {
    bytes,
    stats: {
      rowsBefore,
      rowsAfter,
      rowsRemoved: rowsBefore - rowsAfter,
      bytesIn: input.length,
      bytesOut: bytes.length,
      rowGroups: [{ index: 0, rowsBefore, rowsAfter, rewritten: rowsAfter !== rowsBefore }],
    },
  };
}

/** Counts matching rows per key, like scanParquet. */
export async function scanJsonLines(
  input: Uint8Array,
  matcher: KeyMatcher,
  object?: string,
): Promise<{ rows: number; matches: Map<string, number> }> {
  const text = await textOf(input, object);
  const matches = new Map<string, number>();
  let rows = 0;
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    rows++;
    for (const key of keysOf(line, i + 1, matcher, object))
      if (matcher.has(key)) matches.set(key, (matches.get(key) ?? 0) + 1);
  });
  return { rows, matches };
}

/** The lookup texts of the line's keys (several when an ID column is an array; none when it holds none). */
export function keysOf(
  line: string,
  number: number,
  matcher: KeyMatcher,
  object: string | undefined,
): string[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new JsonLinesError(object, number, "not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new JsonLinesError(object, number, "not a JSON object");
  }
  let parts: string[][];
  try {
    parts = jsonRecordKeys(line, value as Record<string, unknown>, matcher.columns);
  } catch (err) {
    // JSON.parse took the line; the lossless parse did not (e.g. one key given twice, differently).
    throw new JsonLinesError(object, number, messageOf(err));
  }
  return parts.map(keyText);
}
