// JSON Lines objects (plain or gzip): lines whose key matches are dropped, every other line is kept
// byte for byte. A line that is not a JSON object is an error (it could hide an ID we cannot check).
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { KEY_SEPARATOR, KeyMatcher } from "./matcher";
import { PurgeStats } from "./parquetPurge";

const gunzip = promisify(zlib.gunzip);
const gzip = promisify(zlib.gzip);

export class JsonLinesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonLinesError";
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export async function purgeJsonLines(
  input: Uint8Array,
  matcher: KeyMatcher,
): Promise<{ bytes: Uint8Array; stats: PurgeStats }> {
  const compressed = isGzip(input);
  const text = Buffer.from(compressed ? await gunzip(input) : input).toString("utf8");
  const lines = text.split("\n");
  const kept: string[] = [];
  let rowsBefore = 0;
  lines.forEach((line, i) => {
    if (line.trim() === "") {
      kept.push(line); // blank lines (and the final newline) are structure, not rows
      return;
    }
    rowsBefore++;
    if (!matches(parseLine(line, i + 1), matcher)) kept.push(line);
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
): Promise<{ rows: number; matches: Map<string, number> }> {
  const text = Buffer.from(isGzip(input) ? await gunzip(input) : input).toString("utf8");
  const matches = new Map<string, number>();
  let rows = 0;
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    rows++;
    const key = keyOf(parseLine(line, i + 1), matcher);
    if (key !== null && matcher.has(key)) matches.set(key, (matches.get(key) ?? 0) + 1);
  });
  return { rows, matches };
}

function parseLine(line: string, number: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new JsonLinesError(`line ${number} is not valid JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new JsonLinesError(`line ${number} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function matches(record: Record<string, unknown>, matcher: KeyMatcher): boolean {
  const key = keyOf(record, matcher);
  return key !== null && matcher.has(key);
}

function keyOf(record: Record<string, unknown>, matcher: KeyMatcher): string | null {
  const parts: string[] = [];
  for (const column of matcher.columns) {
    let v: unknown = record;
    for (const name of column.split(".")) {
      v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[name] : undefined;
    }
    if (typeof v === "string") parts.push(v);
    else if (typeof v === "number" && Number.isInteger(v)) parts.push(String(v));
    else return null; // missing, null, or not an ID type
  }
  return parts.join(KEY_SEPARATOR);
}
