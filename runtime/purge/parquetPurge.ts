// File-level purge of a Parquet object: row groups without a matching row are copied byte for byte,
// row groups with matches are re-encoded without those rows (rowGroupRewrite.ts), and a new footer is
// written from the ORIGINAL schema and key-value metadata with corrected offsets. Memory is bounded by
// the row groups in flight (`concurrency`), not by the file.
import { availableParallelism } from "node:os";
import { tableFromIPC } from "apache-arrow";
import * as wasm from "parquet-wasm";
import {
  ByteSource,
  F,
  Footer,
  MAGIC,
  ParquetFormatError,
  chunkRange,
  columnMeta,
  encodeFooter,
  readFooter,
  rowGroupRange,
  shiftChunk,
  singleRowGroupFile,
  withRowGroupColumns,
} from "./parquetFormat";
import { KeyMatcher, MatchSpecError, matchRows } from "./matcher";
import { RewrittenChunk, UnfaithfulRewriteError, isSupportedCodec, rewriteRowGroup } from "./rowGroupRewrite";
import { TStruct, getI32, getI64, getString, getStructList, i64, structList } from "./thriftCompact";

export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

export interface RowGroupStats {
  index: number;
  rowsBefore: number;
  rowsAfter: number;
  /** false: copied byte for byte. */
  rewritten: boolean;
}

export interface PurgeStats {
  rowsBefore: number;
  rowsAfter: number;
  rowsRemoved: number;
  bytesIn: number;
  bytesOut: number;
  rowGroups: RowGroupStats[];
}

export interface PurgeOptions {
  /** Row groups processed at once (default: the number of cores). */
  concurrency?: number;
}

export { ParquetFormatError, MatchSpecError, UnfaithfulRewriteError };

/** Checks that the file can be purged with this matcher before anything is written. */
export function validate(footer: Footer, matcher: KeyMatcher): void {
  for (const column of matcher.columns) {
    if (!footer.leaves.some((l) => l.path === column)) {
      const known = footer.leaves.map((l) => l.path).join(", ");
      throw new MatchSpecError(`unknown column '${column}' (the file has: ${known})`);
    }
  }
  for (const rg of footer.rowGroups) {
    for (const chunk of getStructList(rg, F.rowGroup.columns)) {
      const codec = getI32(columnMeta(chunk), F.meta.codec) ?? 0;
      if (!isSupportedCodec(codec)) {
        throw new UnfaithfulRewriteError(`compression codec ${codec} (LZO or Hadoop LZ4) cannot be written back`);
      }
    }
  }
}

export async function purgeParquet(
  source: ByteSource,
  sink: ByteSink,
  matcher: KeyMatcher,
  options: PurgeOptions = {},
): Promise<PurgeStats> {
  const footer = await readFooter(source);
  validate(footer, matcher);
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  const stats: PurgeStats = { rowsBefore: 0, rowsAfter: 0, rowsRemoved: 0, bytesIn: source.size, bytesOut: 0, rowGroups: [] };
  const outGroups: TStruct[] = [];
  let offset = 0;
  const emit = async (bytes: Uint8Array) => {
    await sink.write(bytes);
    offset += bytes.length;
  };
  await emit(MAGIC);

  // A sliding window of row groups in flight; results are written strictly in order.
  const inFlight: Promise<ProcessedRowGroup>[] = [];
  let next = 0;
  const launch = () => {
    if (next < footer.rowGroups.length) inFlight.push(processRowGroup(source, footer, next++, matcher));
  };
  for (let i = 0; i < concurrency; i++) launch();
  while (inFlight.length > 0) {
    const done = await inFlight.shift()!;
    launch();
    stats.rowGroups.push(done.stats);
    stats.rowsBefore += done.stats.rowsBefore;
    stats.rowsAfter += done.stats.rowsAfter;
    if (done.stats.rowsAfter === 0) continue; // a row group that only held matching rows disappears
    const start = offset;
    if (done.kind === "copy") {
      await emit(done.bytes);
      const cols = getStructList(done.rowGroup, F.rowGroup.columns).map((c) => shiftChunk(c, start - done.start));
      outGroups.push(withRowGroupColumns(done.rowGroup, cols, done.stats.rowsAfter, start));
    } else {
      const original = getStructList(done.rowGroup, F.rowGroup.columns);
      const cols: TStruct[] = [];
      for (let i = 0; i < done.chunks.length; i++) {
        cols.push(placeChunk(original[i], done.chunks[i], offset));
        await emit(done.chunks[i].bytes);
      }
      outGroups.push(withRowGroupColumns(done.rowGroup, cols, done.stats.rowsAfter, start));
    }
  }
  await emit(encodeFooter(footer.raw, outGroups));
  stats.rowsRemoved = stats.rowsBefore - stats.rowsAfter;
  stats.bytesOut = offset;
  return stats;
}

type ProcessedRowGroup =
  | { kind: "copy"; stats: RowGroupStats; rowGroup: TStruct; bytes: Uint8Array; start: number }
  | { kind: "rewrite"; stats: RowGroupStats; rowGroup: TStruct; chunks: RewrittenChunk[] };

async function processRowGroup(source: ByteSource, footer: Footer, index: number, matcher: KeyMatcher): Promise<ProcessedRowGroup> {
  const rowGroup = footer.rowGroups[index];
  const rows = getI64(rowGroup, F.rowGroup.numRows) ?? 0;
  const { start, end } = rowGroupRange(rowGroup);
  const bytes = await source.read(start, end - start);
  const drop = matchingRows(footer, rowGroup, bytes, start, matcher);
  if (drop.length === 0) {
    return { kind: "copy", stats: { index, rowsBefore: rows, rowsAfter: rows, rewritten: false }, rowGroup, bytes, start };
  }
  const rowsAfter = rows - drop.length;
  if (rowsAfter === 0) {
    return { kind: "rewrite", stats: { index, rowsBefore: rows, rowsAfter: 0, rewritten: true }, rowGroup, chunks: [] };
  }
  const codec = getI32(columnMeta(getStructList(rowGroup, F.rowGroup.columns)[0]), F.meta.codec) ?? 0;
  const { chunks, numRows } = await rewriteRowGroup({
    file: singleRowGroupFile(footer, rowGroup, bytes, start),
    keepRuns: keepRuns(rows, drop),
    leaves: footer.leaves,
    codec,
  });
  if (numRows !== rowsAfter) throw new Error(`row group ${index}: wrote ${numRows} rows, expected ${rowsAfter}`);
  return { kind: "rewrite", stats: { index, rowsBefore: rows, rowsAfter, rewritten: true }, rowGroup, chunks };
}

/** Row numbers (ascending) of the row group whose key matches; reads only the key columns. */
function matchingRows(footer: Footer, rowGroup: TStruct, bytes: Uint8Array, start: number, matcher: KeyMatcher): number[] {
  const rows: number[] = [];
  const table = readKeyColumns(footer, rowGroup, bytes, start, matcher.columns);
  matchRows(table, matcher, (row) => rows.push(row));
  return rows;
}

/** Count, per matching key, the rows of every row group (for `scan`). */
export async function scanParquet(source: ByteSource, matcher: KeyMatcher): Promise<{ rows: number; matches: Map<string, number> }> {
  const footer = await readFooter(source);
  validate(footer, matcher);
  const matches = new Map<string, number>();
  let rows = 0;
  for (const rowGroup of footer.rowGroups) {
    const { start, end } = rowGroupRange(rowGroup);
    const bytes = await source.read(start, end - start);
    rows += getI64(rowGroup, F.rowGroup.numRows) ?? 0;
    const table = readKeyColumns(footer, rowGroup, bytes, start, matcher.columns);
    matchRows(table, matcher, (_row, key) => matches.set(key, (matches.get(key) ?? 0) + 1));
  }
  return { rows, matches };
}

/**
 * Decodes only the top-level fields holding the key columns: parquet-wasm's synchronous reader ignores
 * column selections, so a stand-alone file with a pruned schema and just those chunks is built.
 */
export function readKeyColumns(footer: Footer, rowGroup: TStruct, bytes: Uint8Array, start: number, columns: readonly string[]) {
  const wanted = new Set(footer.leaves.filter((l) => columns.includes(l.path)).map((l) => l.topLevelIndex));
  const schema = getStructList(footer.raw, F.file.schema);
  const keptSchema: TStruct[] = [];
  let pos = 1;
  const take = (keep: boolean): void => {
    const el = schema[pos++];
    if (keep) keptSchema.push(el);
    const n = getI32(el, F.schema.numChildren) ?? 0;
    for (let i = 0; i < n; i++) take(keep);
  };
  const topCount = getI32(schema[0], F.schema.numChildren) ?? 0;
  for (let i = 0; i < topCount; i++) take(wanted.has(i));
  const root: TStruct = new Map(schema[0]);
  root.set(F.schema.numChildren, { t: 5, v: wanted.size });

  const parts: Uint8Array[] = [MAGIC];
  let offset = MAGIC.length;
  const chunks: TStruct[] = [];
  getStructList(rowGroup, F.rowGroup.columns).forEach((chunk, i) => {
    if (!wanted.has(footer.leaves[i].topLevelIndex)) return;
    const r = chunkRange(chunk);
    parts.push(bytes.subarray(r.start - start, r.start - start + r.length));
    chunks.push(shiftChunk(chunk, offset - r.start));
    offset += r.length;
  });
  const raw: TStruct = new Map(footer.raw);
  raw.set(F.file.schema, structList([root, ...keptSchema]));
  // The embedded Arrow schema describes all columns; without it the reader derives types from Parquet.
  const kv = getStructList(footer.raw, F.file.keyValue).filter((e) => getString(e, 1) !== "ARROW:schema");
  raw.set(F.file.keyValue, structList(kv));
  raw.delete(F.file.columnOrders); // one per leaf of the full schema
  const rg = withRowGroupColumns(rowGroup, chunks, getI64(rowGroup, F.rowGroup.numRows) ?? 0, MAGIC.length);
  parts.push(encodeFooter(raw, [rg]));
  return tableFromIPC(wasm.readParquet(Buffer.concat(parts)).intoIPCStream());
}

function keepRuns(rows: number, drop: number[]): number[] {
  const runs: number[] = [];
  let from = 0;
  for (const d of drop) {
    if (d > from) runs.push(from, d);
    from = d + 1;
  }
  if (from < rows) runs.push(from, rows);
  return runs;
}

/** The ColumnChunk for a rewritten chunk placed at `at` in the output. */
function placeChunk(original: TStruct, chunk: RewrittenChunk, at: number): TStruct {
  const meta: TStruct = new Map(chunk.meta);
  meta.set(F.meta.dataPageOffset, i64(at + (getI64(meta, F.meta.dataPageOffset) ?? 0)));
  const dict = getI64(meta, F.meta.dictionaryPageOffset);
  if (dict !== undefined) meta.set(F.meta.dictionaryPageOffset, i64(at + dict));
  const out = shiftChunk(original, 0); // drops page index and bloom filter pointers
  out.set(F.chunk.metaData, { t: 12, v: meta });
  const fileOffset = getI64(original, F.chunk.fileOffset);
  if (fileOffset !== undefined && fileOffset > 0) out.set(F.chunk.fileOffset, i64(at));
  return out;
}
