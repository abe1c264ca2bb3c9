// One row group, start to finish: find the matching rows from the key columns alone, and either
// declare the row group untouched (it is copied byte for byte) or re-encode it without those rows.
// Pure and self-contained, so it runs in the calling thread or in a worker (rowGroupWorker.ts).
import { Data, Field, RecordBatch, Schema, Struct, Table, makeData, tableFromIPC } from "apache-arrow";
import * as wasm from "parquet-wasm";
import {
  Codec,
  F,
  Footer,
  MAGIC,
  PhysicalType,
  chunkRange,
  columnMeta,
  encodeFooter,
  shiftChunk,
  usesDictionaryOnly,
  withRowGroupColumns,
} from "./parquetFormat";
import { KeyMatcher, matchRows } from "../../subjects/matcher";
import { topLevelFieldsOfColumns } from "./idLeaves";
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
  const keyFields = topLevelFieldsOf(footer, matcher.columns);
  const keys = await readTopLevelFields(input, keyFields);
  if (keys.numRows !== rows) throw new Error(`decodes to ${keys.numRows} rows, its metadata says ${rows}`);
  matchRows(keys, matcher, (row) => drop[drop.length - 1] !== row && drop.push(row));
  if (drop.length === 0) return { kind: "copy", rowsBefore: rows, rowsAfter: rows };
  const rowsAfter = rows - drop.length;
  if (rowsAfter === 0) return { kind: "rewrite", rowsBefore: rows, rowsAfter: 0, chunks: [] };
  const originals = getStructList(rowGroup, F.rowGroup.columns);
  const codecs = originals.map((c) => getI32(columnMeta(c), F.meta.codec) ?? 0);
  const all = topLevelCount(footer);
  const common = {
    keepRuns: keepRuns(rows, drop),
    leaves: footer.leaves,
    codecs,
    dictionary: originals.map(usesDictionaryOnly),
    gzipLevel: input.gzipLevel,
  };
  let rewritten: { chunks: RewrittenChunk[]; numRows: number };
  if (!footer.leaves.some((l) => l.physicalType === PhysicalType.INT96)) {
    // The whole row group decoded and re-encoded inside WASM: no Arrow IPC round trip through
    // JavaScript (the key fields are decoded a second time, which costs far less).
    const file = await topLevelFieldsFile(input, new Set(Array(all).keys()));
    const table = wasm.readParquet(file, { batchSize: MAX_BATCH_ROWS });
    try {
      rewritten = await rewriteRowGroup({ ...common, batch: table.recordBatch(0)! });
    } finally {
      table.free();
    }
  } else {
    // INT96 values are turned into bytes in JavaScript (rowGroupRewrite.ts). The key fields are
    // decoded already: decode the other fields and put them side by side.
    const otherFields = new Set([...Array(all).keys()].filter((i) => !keyFields.has(i)));
    const others = otherFields.size > 0 ? await readTopLevelFields(input, otherFields) : undefined;
    rewritten = await rewriteRowGroup({ ...common, table: sideBySide(all, keyFields, keys, others) });
  }
  const { chunks, numRows } = rewritten;
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
): Promise<{ rowGroup: TStruct; parts: Uint8Array[] }> {
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
      meta.set(F.meta.totalCompressed, i64(inflated.length));
      meta.set(F.meta.dataPageOffset, i64(offset + inflated.dataPageOffset));
      if (inflated.dictionaryPageOffset !== undefined) {
        meta.set(F.meta.dictionaryPageOffset, i64(offset + inflated.dictionaryPageOffset));
      }
      moved.set(F.chunk.metaData, struct(meta));
      parts.push(...inflated.parts);
      offset += inflated.length;
    } else {
      parts.push(bytes.subarray(r.start - start, r.start - start + r.length));
      offset += r.length;
    }
    columns.push(moved);
  }
  const rows = getI64(rowGroup, F.rowGroup.numRows) ?? 0;
  return {
    rowGroup: withRowGroupColumns(rowGroup, columns, rows, MAGIC.length),
    parts,
  };
}

/** The footer reduced to one row group: what a row group task needs, small enough to send to a worker. */
export function footerOf(footer: Footer, index: number): Footer {
  const raw: TStruct = new Map(footer.raw);
  raw.delete(F.file.rowGroups);
  return { ...footer, raw, rowGroups: [footer.rowGroups[index]] };
}

/** Indices of the top-level fields that hold the given ID columns (runtime/formats/parquet/idLeaves.ts). */
export function topLevelFieldsOf(footer: Footer, columns: readonly string[]): Set<number> {
  return topLevelFieldsOfColumns(footer.leaves, columns);
}

export function topLevelCount(footer: Footer): number {
  return getI32(getStructList(footer.raw, F.file.schema)[0], F.schema.numChildren) ?? 0;
}

/**
 * Decodes some top-level fields of the row group. parquet-wasm's synchronous reader ignores column
 * selections, so a stand-alone file with a pruned schema and just those chunks is built. Types come
 * from the Parquet schema (the embedded Arrow schema describes all columns, so it is left out).
 */
export async function readTopLevelFields(input: RowGroupInput, wanted: Set<number>): Promise<Table> {
  const file = await topLevelFieldsFile(input, wanted);
  return tableFromIPC(wasm.readParquet(file, { batchSize: MAX_BATCH_ROWS }).intoIPCStream());
}

/** A stand-alone Parquet file of one row group holding only some top-level fields, pages inflated. */
export async function topLevelFieldsFile(input: RowGroupInput, wanted: Set<number>): Promise<Uint8Array> {
  const { footer } = input;
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
  const topCount = topLevelCount(footer);
  for (let i = 0; i < topCount; i++) take(wanted.has(i));
  const root: TStruct = new Map(schema[0]);
  root.set(F.schema.numChildren, i32(wanted.size));

  const { rowGroup, parts } = await inflatedRowGroup(input, leaves);
  const raw: TStruct = new Map(footer.raw);
  raw.set(F.file.schema, structList([root, ...keptSchema]));
  const kv = getStructList(footer.raw, F.file.keyValue).filter((e) => getString(e, 1) !== "ARROW:schema");
  raw.set(F.file.keyValue, structList(kv));
  raw.delete(F.file.columnOrders); // one per leaf of the full schema
  return Buffer.concat([MAGIC, ...parts, encodeFooter(raw, [rowGroup])]);
}

/** One Arrow batch per row group (row groups have far fewer rows). */
export const MAX_BATCH_ROWS = 1 << 30;

/** The fields of two decoded parts of one row group, back in the file's field order, as one table. */
function sideBySide(count: number, firstFields: Set<number>, first: Table, second: Table | undefined): Table {
  const fields: Field[] = [];
  const children: Data[] = [];
  let a = 0;
  let b = 0;
  const length = first.numRows;
  const only = (t: Table) => {
    if (t.batches.length > 1) throw new Error(`a row group decoded into ${t.batches.length} batches`);
    return t.batches[0]?.data;
  };
  for (let i = 0; i < count; i++) {
    const [table, j] = firstFields.has(i) ? [first, a++] : [second!, b++];
    fields.push(table.schema.fields[j]);
    const data = only(table)?.children[j];
    children.push(data ?? makeData({ type: table.schema.fields[j].type, length: 0, nullCount: 0 }));
  }
  const schema = new Schema(fields);
  if (length === 0) return new Table(schema);
  return new Table(schema, [
    new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children })),
  ]);
}

/** The rows not in `drop` (ascending) as [start, end) pairs. */
export function keepRuns(rows: number, drop: number[]): number[] {
  const runs: number[] = [];
  let from = 0;
  for (const d of drop) {
    if (d > from) runs.push(from, d);
    from = d + 1;
  }
  if (from < rows) runs.push(from, rows);
  return runs;
}
