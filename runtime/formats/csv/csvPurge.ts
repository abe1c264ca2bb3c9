// CSV and TSV objects (plain or gzip): rows whose key matches are dropped; every other byte (the header
// lines, empty lines, each kept row with its quoting, spacing and line ending) is kept as it was. Keys
// are compared by value, as Athena reads them: `"42"` and `42` are both the ID 42.
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { KeyMatcher, keyText } from "../../subjects/matcher";
import type { PurgeStats } from "../lakeFormat";
import { CsvTableOptions, csvDialect, idColumnIndexes } from "./dialect";
import { csvBytes, CsvObject, CsvRow, readCsv } from "./csvRows";

const gzip = promisify(zlib.gzip);

export interface CsvReadOptions {
  options: CsvTableOptions;
  /** Whether the object is gzip (from the mapper's format, never guessed from the bytes). */
  compressed: boolean;
  /** Names the object in errors (a path or an s3:// URL). */
  object?: string;
}

async function rowsOf(input: Uint8Array, read: CsvReadOptions): Promise<CsvObject> {
  const bytes = await csvBytes(input, read.compressed, read.object);
  return readCsv(bytes, csvDialect(read.options), read.object);
}

/** The key text of each row (null for a row whose ID is empty or null: it names no subject). */
function rowKeys(csv: CsvObject, read: CsvReadOptions, idColumns: readonly string[]): (string | null)[] {
  const indexes = idColumnIndexes(csvDialect(read.options), idColumns);
  return csv.rows.map((row: CsvRow) => {
    const parts = indexes.map((i) => row.fields[i]);
    return parts.some((p) => p === null || p === "") ? null : keyText(parts as string[]);
  });
}

export async function purgeCsv(
  input: Uint8Array,
  matcher: KeyMatcher,
  read: CsvReadOptions,
): Promise<{ bytes: Uint8Array; stats: PurgeStats }> {
  const csv = await rowsOf(input, read);
  const keys = rowKeys(csv, read, matcher.columns);
  // The output is the object less the removed rows' byte ranges: nothing else is re-written.
  const pieces: Uint8Array[] = [];
  let from = 0;
  csv.rows.forEach((row, i) => {
    const key = keys[i];
    if (key === null || !matcher.has(key)) return;
    pieces.push(csv.bytes.subarray(from, row.start));
    from = row.end;
  });
  const rowsBefore = csv.rows.length;
  const rowsRemoved = pieces.length;
  let bytes = input;
  if (rowsRemoved > 0) {
    pieces.push(csv.bytes.subarray(from));
    const out = Buffer.concat(pieces);
    bytes = read.compressed ? await gzip(out) : out;
  }
  const rowsAfter = rowsBefore - rowsRemoved;
  return {
    bytes,
    stats: {
      rowsBefore,
      rowsAfter,
      rowsRemoved,
      bytesIn: input.length,
      bytesOut: bytes.length,
      rowGroups: [{ index: 0, rowsBefore, rowsAfter, rewritten: rowsRemoved > 0 }],
    },
  };
}

/** Counts matching rows per key, like scanJsonLines. */
export async function scanCsv(
  input: Uint8Array,
  matcher: KeyMatcher,
  read: CsvReadOptions,
): Promise<{ rows: number; matches: Map<string, number> }> {
  const csv = await rowsOf(input, read);
  const matches = new Map<string, number>();
  for (const key of rowKeys(csv, read, matcher.columns))
    if (key !== null && matcher.has(key)) matches.set(key, (matches.get(key) ?? 0) + 1);
  return { rows: csv.rows.length, matches };
}

/** Each row's ID values in `idColumns`' order, leaving out rows whose ID names no subject (empty or null). */
export async function csvIdValues(
  input: Uint8Array,
  idColumns: readonly string[],
  read: CsvReadOptions,
): Promise<string[][]> {
  const csv = await rowsOf(input, read);
  const indexes = idColumnIndexes(csvDialect(read.options), idColumns);
  const out: string[][] = [];
  for (const row of csv.rows) {
    const parts = indexes.map((i) => row.fields[i]);
    if (parts.every((p): p is string => p !== null && p !== "")) out.push(parts);
  }
  return out;
}

/** Every key in the object with its row count, for the indexer (like objectKeys' jsonKeys). */
export async function csvKeys(
  input: Uint8Array,
  idColumns: readonly string[],
  read: CsvReadOptions,
): Promise<{ rows: number; keys: Map<string, number> }> {
  const csv = await rowsOf(input, read);
  const keys = new Map<string, number>();
  for (const key of rowKeys(csv, read, idColumns)) if (key !== null) keys.set(key, (keys.get(key) ?? 0) + 1);
  return { rows: csv.rows.length, keys };
}
