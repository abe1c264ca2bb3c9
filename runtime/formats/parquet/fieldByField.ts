// Row groups too big to hold whole: only the chunks of the key fields are read and matched, and a row
// group with matches is rewritten one top-level field at a time (that field's chunks read, inflated,
// decoded, filtered, re-encoded and deflated, handed to the writer, then dropped before the next field
// is read). Memory is bounded by the largest field, not the row group, and parquet-wasm's heap, which
// never shrinks, only ever holds one field. Each column is encoded by its own writer in parquet-wasm
// (pages, dictionary and statistics depend on that column's values alone), so the bytes are the ones a
// whole-row-group rewrite writes (tested).
import * as wasm from "parquet-wasm";
import {
  ByteSource,
  F,
  Footer,
  PhysicalType,
  chunkRange,
  columnMeta,
  usesDictionaryOnly,
} from "./parquetFormat";
import { KeyMatcher, matchRows } from "../../subjects/matcher";
import { RewrittenChunk, rewriteRowGroup } from "./rowGroupRewrite";
import {
  MAX_BATCH_ROWS,
  RowGroupInput,
  footerOf,
  keepRuns,
  readTopLevelFields,
  topLevelCount,
  topLevelFieldsFile,
  topLevelFieldsOf,
} from "./rowGroupPurge";
import { getI32, getI64, getStructList } from "./thriftCompact";

/** Row groups of at least this many uncompressed bytes are purged field by field (PurgeOptions). */
export const FIELD_BY_FIELD_FROM_BYTES = 64 * 1024 * 1024;

/** The row group's uncompressed size as its footer states it (total_byte_size). */
export function uncompressedBytes(rowGroup: Footer["rowGroups"][number]): number {
  return getI64(rowGroup, F.rowGroup.totalByteSize) ?? 0;
}

/** Reads the chunks of some top-level fields of row group `index` (one ranged read over them). */
export async function readFields(
  source: ByteSource,
  footer: Footer,
  index: number,
  fields: Set<number>,
): Promise<RowGroupInput> {
  const chunks = getStructList(footer.rowGroups[index], F.rowGroup.columns);
  let start = Number.MAX_SAFE_INTEGER;
  let end = 0;
  footer.leaves.forEach((leaf, i) => {
    if (!fields.has(leaf.topLevelIndex)) return;
    const r = chunkRange(chunks[i]);
    start = Math.min(start, r.start);
    end = Math.max(end, r.start + r.length);
  });
  if (end === 0) start = 0;
  return { footer: footerOf(footer, index), index: 0, bytes: await source.read(start, end - start), start };
}

/** The rows of row group `index` that match, from its key fields' chunks alone. */
export async function matchingRows(
  source: ByteSource,
  footer: Footer,
  index: number,
  matcher: KeyMatcher,
): Promise<number[]> {
  const keyFields = topLevelFieldsOf(footer, matcher.columns);
  const keys = await readTopLevelFields(await readFields(source, footer, index, keyFields), keyFields);
  const drop: number[] = [];
  matchRows(keys, matcher, (row) => drop[drop.length - 1] !== row && drop.push(row));
  return drop;
}

/** The rewritten chunks of row group `index` without the `drop` rows, leaf by leaf in file order. */
export async function* rewriteFieldByField(
  source: ByteSource,
  footer: Footer,
  index: number,
  drop: number[],
  gzipLevel?: number,
): AsyncGenerator<RewrittenChunk> {
  const rows = getI64(footer.rowGroups[index], F.rowGroup.numRows) ?? 0;
  const runs = keepRuns(rows, drop);
  for (let field = 0; field < topLevelCount(footer); field++) {
    const input = await readFields(source, footer, index, new Set([field]));
    const { chunks, numRows } = await rewriteField(input, field, runs, gzipLevel);
    if (numRows !== rows - drop.length)
      throw new Error(
        `row group ${index}, field ${field}: wrote ${numRows} rows, expected ${rows - drop.length}`,
      );
    yield* chunks;
  }
}

async function rewriteField(
  input: RowGroupInput,
  field: number,
  runs: number[],
  gzipLevel: number | undefined,
): Promise<{ chunks: RewrittenChunk[]; numRows: number }> {
  const { footer } = input;
  const originals = getStructList(footer.rowGroups[0], F.rowGroup.columns);
  const leaves = footer.leaves.flatMap((l, i) => (l.topLevelIndex === field ? [i] : []));
  const settings = {
    keepRuns: runs,
    // The field is the only one in the file it is decoded from.
    leaves: leaves.map((i) => ({ ...footer.leaves[i], topLevelIndex: 0 })),
    codecs: leaves.map((i) => getI32(columnMeta(originals[i]), F.meta.codec) ?? 0),
    dictionary: leaves.map((i) => usesDictionaryOnly(originals[i])),
    gzipLevel,
  };
  const only = new Set([field]);
  if (settings.leaves.some((l) => l.physicalType === PhysicalType.INT96)) {
    // INT96 values are turned into bytes in JavaScript (rowGroupRewrite.ts).
    return rewriteRowGroup({ ...settings, table: await readTopLevelFields(input, only) });
  }
  const table = wasm.readParquet(await topLevelFieldsFile(input, only), { batchSize: MAX_BATCH_ROWS });
  try {
    return await rewriteRowGroup({ ...settings, batch: table.recordBatch(0)! });
  } finally {
    table.free();
  }
}
