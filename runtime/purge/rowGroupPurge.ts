// One row group, start to finish: find the matching rows from the key columns alone, and either
// declare the row group untouched (it is copied byte for byte) or re-encode it without those rows.
// Pure and self-contained, so it runs in the calling thread or in a worker (rowGroupWorker.ts).
import { Table, tableFromIPC } from "apache-arrow";
import * as wasm from "parquet-wasm";
import {
  Codec,
  F,
  Footer,
  MAGIC,
  chunkRange,
  columnMeta,
  encodeFooter,
  shiftChunk,
  singleRowGroupFile,
  usesDictionaryOnly,
  withRowGroupColumns,
} from "./parquetFormat";
import { KeyMatcher, matchRows } from "./matcher";
import { RewrittenChunk, rewriteRowGroup } from "./rowGroupRewrite";
import { inflateChunk } from "./pages";
import {
  TStruct,
  getI32,
  getI64,
  getString,
  getStructList,
  i32,
  i64,
  struct,
  structList,
} from "./thriftCompact";

export interface RowGroupInput {
  footer: Footer;
  index: number;
  /** The bytes of the row group's column chunks, which start at file offset `start`. */
  bytes: Uint8Array;
  start: number;
  /** zlib level for GZIP pages (default 6, zlib's and Arrow's default). */
  gzipLevel?: number;
}

export type RowGroupOutcome =
  | { kind: "copy"; rowsBefore: number; rowsAfter: number }
  | { kind: "rewrite"; rowsBefore: number; rowsAfter: number; chunks: RewrittenChunk[] };

export async function purgeRowGroup(input: RowGroupInput, matcher: KeyMatcher): Promise<RowGroupOutcome> {
  const { footer, index } = input;
  const rowGroup = footer.rowGroups[index];
  const rows = getI64(rowGroup, F.rowGroup.numRows) ?? 0;
  const drop: number[] = [];
  matchRows(await readKeyColumns(input, matcher.columns), matcher, (row) => drop.push(row));
  if (drop.length === 0) return { kind: "copy", rowsBefore: rows, rowsAfter: rows };
  const rowsAfter = rows - drop.length;
  if (rowsAfter === 0) return { kind: "rewrite", rowsBefore: rows, rowsAfter: 0, chunks: [] };
  const originals = getStructList(rowGroup, F.rowGroup.columns);
  const codecs = originals.map((c) => getI32(columnMeta(c), F.meta.codec) ?? 0);
  const inflated = await inflatedRowGroup(input);
  const { chunks, numRows } = await rewriteRowGroup({
    file: singleRowGroupFile(footer, inflated.rowGroup, inflated.bytes, MAGIC.length),
    keepRuns: keepRuns(rows, drop),
    leaves: footer.leaves,
    codecs,
    dictionary: originals.map(usesDictionaryOnly),
    gzipLevel: input.gzipLevel,
  });
  if (numRows !== rowsAfter)
    throw new Error(`row group ${index}: wrote ${numRows} rows, expected ${rowsAfter}`);
  return { kind: "rewrite", rowsBefore: rows, rowsAfter, chunks };
}

/**
 * The row group with GZIP pages inflated by Node's zlib (native, several times faster than the WASM
 * inflate); other codecs are left to parquet-wasm. `only` limits it to some leaf columns.
 */
async function inflatedRowGroup(
  input: RowGroupInput,
  only?: Set<number>,
): Promise<{ rowGroup: TStruct; bytes: Uint8Array }> {
  const { footer, index, bytes, start } = input;
  const rowGroup = footer.rowGroups[index];
  const parts: Uint8Array[] = [];
  const columns: TStruct[] = [];
  let offset = MAGIC.length;
  const chunks = getStructList(rowGroup, F.rowGroup.columns);
  const results = await Promise.all(
    chunks.map(async (chunk, i) => {
      if (only && !only.has(i)) return undefined;
      const r = chunkRange(chunk);
      const raw = bytes.subarray(r.start - start, r.start - start + r.length);
      return { chunk, r, inflated: await inflateChunk(raw, getI32(columnMeta(chunk), F.meta.codec) ?? 0) };
    }),
  );
  for (const res of results) {
    if (!res) continue;
    const { chunk, r, inflated } = res;
    const moved = shiftChunk(chunk, offset - r.start);
    if (inflated) {
      const meta: TStruct = new Map(columnMeta(moved));
      meta.set(F.meta.codec, i32(Codec.UNCOMPRESSED));
      meta.set(F.meta.totalCompressed, i64(inflated.bytes.length));
      meta.set(F.meta.dataPageOffset, i64(offset + inflated.dataPageOffset));
      if (inflated.dictionaryPageOffset !== undefined) {
        meta.set(F.meta.dictionaryPageOffset, i64(offset + inflated.dictionaryPageOffset));
      }
      moved.set(F.chunk.metaData, struct(meta));
      parts.push(inflated.bytes);
      offset += inflated.bytes.length;
    } else {
      parts.push(bytes.subarray(r.start - start, r.start - start + r.length));
      offset += r.length;
    }
    columns.push(moved);
  }
  const rows = getI64(rowGroup, F.rowGroup.numRows) ?? 0;
  return {
    rowGroup: withRowGroupColumns(rowGroup, columns, rows, MAGIC.length),
    bytes: Buffer.concat(parts),
  };
}

/**
 * Decodes only the top-level fields holding the key columns: parquet-wasm's synchronous reader ignores
 * column selections, so a stand-alone file with a pruned schema and just those chunks is built.
 */
export async function readKeyColumns(input: RowGroupInput, columns: readonly string[]): Promise<Table> {
  const { footer } = input;
  const wanted = new Set(footer.leaves.filter((l) => columns.includes(l.path)).map((l) => l.topLevelIndex));
  const leaves = new Set(footer.leaves.flatMap((l, i) => (wanted.has(l.topLevelIndex) ? [i] : [])));
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
  root.set(F.schema.numChildren, i32(wanted.size));

  const { rowGroup, bytes } = await inflatedRowGroup(input, leaves);
  const raw: TStruct = new Map(footer.raw);
  raw.set(F.file.schema, structList([root, ...keptSchema]));
  // The embedded Arrow schema describes all columns; without it the reader derives types from Parquet.
  const kv = getStructList(footer.raw, F.file.keyValue).filter((e) => getString(e, 1) !== "ARROW:schema");
  raw.set(F.file.keyValue, structList(kv));
  raw.delete(F.file.columnOrders); // one per leaf of the full schema
  const file = Buffer.concat([MAGIC, bytes, encodeFooter(raw, [rowGroup])]);
  return tableFromIPC(wasm.readParquet(file, { batchSize: 1 << 30 }).intoIPCStream());
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
