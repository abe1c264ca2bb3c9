// Re-encodes one row group without the dropped rows: decode with parquet-wasm, keep the surviving row
// ranges with apache-arrow, encode a one-row-group file with parquet-wasm, and lift its column chunks
// out, checked against the original schema so that nothing is written that the table cannot read.
import {
  Data,
  DataType,
  FixedSizeBinary,
  Field,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeUnit,
  makeData,
  tableToIPC,
} from "apache-arrow";
import * as wasm from "parquet-wasm";
import { Codec, F, LeafColumn, PhysicalType, columnMeta, chunkRange, parseFooter } from "./parquetFormat";
import { rewritePages } from "./pages";
import { TStruct, getI32, getI64, getStructList, i32, i64 } from "./thriftCompact";

/** The row group cannot be written back in its original physical form: nothing is written. */
export class UnfaithfulRewriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnfaithfulRewriteError";
  }
}

/** The row group, decoded (all top-level fields, in the file's order). */
export type DecodedRowGroup =
  /** In JavaScript: needed where values must change form (INT96). */
  | { table: Table; batch?: undefined }
  /** In WASM memory (parquet-wasm), sliced and encoded there: no Arrow IPC round trip. Consumed. */
  | { batch: wasm.RecordBatch; table?: undefined };

export type RowGroupRewriteTask = DecodedRowGroup & RowGroupRewriteSettings;

export interface RowGroupRewriteSettings {
  /** Surviving rows as [start, end) pairs, in order. */
  keepRuns: number[];
  /** The original file's leaf columns, in order. */
  leaves: LeafColumn[];
  /** Each leaf's codec in the original file (written back the same). */
  codecs: Codec[];
  /** Per leaf: dictionary-encode (as the input did). */
  dictionary: boolean[];
  gzipLevel?: number;
}

export interface RewrittenChunk {
  bytes: Uint8Array;
  /** ColumnMetaData with page offsets relative to the chunk start. */
  meta: TStruct;
}

const wasmCodec: Partial<Record<Codec, wasm.Compression>> = {
  [Codec.UNCOMPRESSED]: wasm.Compression.UNCOMPRESSED,
  [Codec.SNAPPY]: wasm.Compression.SNAPPY,
  // GZIP pages are written uncompressed and deflated by Node's zlib (see pages.ts).
  [Codec.GZIP]: wasm.Compression.UNCOMPRESSED,
  [Codec.BROTLI]: wasm.Compression.BROTLI,
  [Codec.ZSTD]: wasm.Compression.ZSTD,
  [Codec.LZ4_RAW]: wasm.Compression.LZ4_RAW,
};

export function isSupportedCodec(codec: number): boolean {
  return codec in wasmCodec;
}

export async function rewriteRowGroup(
  task: RowGroupRewriteTask,
): Promise<{ chunks: RewrittenChunk[]; numRows: number }> {
  const int96 = new Set(
    task.leaves.filter((l) => l.physicalType === PhysicalType.INT96).map((l) => l.topLevelIndex),
  );
  for (const l of task.leaves) {
    if (l.physicalType === PhysicalType.INT96 && l.pathParts.length > 1) {
      throw new UnfaithfulRewriteError(`INT96 column '${l.path}' inside a nested field cannot be rewritten`);
    }
  }
  let builder = new wasm.WriterPropertiesBuilder().setCompression(wasmCodec[task.codecs[0]]!);
  task.leaves.forEach((leaf, i) => {
    if (task.codecs[i] !== task.codecs[0])
      builder = builder.setColumnCompression(leaf.path, wasmCodec[task.codecs[i]]!);
    // arrow-rs names a column by its path parts; a dotted name only reaches top-level columns.
    if (!task.dictionary[i] && leaf.pathParts.length === 1)
      builder = builder.setColumnDictionaryEnabled(leaf.path, false);
  });
  const numRows = keptRows(task.keepRuns);
  const props = builder
    .setMaxRowGroupSize(Math.max(1, numRows))
    .setStatisticsEnabled(wasm.EnabledStatistics.Chunk)
    .setWriterVersion(wasm.WriterVersion.V1)
    .build();
  let written: Uint8Array;
  if (task.batch) {
    if (int96.size > 0) throw new UnfaithfulRewriteError("INT96 columns must be rewritten from JavaScript");
    written = await writeSlices(task.batch, task.keepRuns, props);
  } else {
    const kept = keepRows(task.table, task.keepRuns);
    const table = int96.size > 0 ? withInt96AsFixedBinary(kept, int96) : kept;
    written = wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(table, "stream")), props);
  }
  return { chunks: await liftChunks(written, task), numRows };
}

function keptRows(runs: number[]): number {
  let n = 0;
  for (let i = 0; i < runs.length; i += 2) n += runs[i + 1] - runs[i];
  return n;
}

/**
 * The surviving row ranges of a batch in WASM memory (zero-copy slices), encoded by parquet-wasm's
 * stream writer, the one writer that takes batches without going through Arrow IPC.
 */
async function writeSlices(batch: wasm.RecordBatch, runs: number[], props: wasm.WriterProperties) {
  const slices: wasm.RecordBatch[] = [];
  try {
    for (let i = 0; i < runs.length; i += 2) slices.push(batch.slice(runs[i], runs[i + 1] - runs[i]));
  } finally {
    batch.free();
  }
  const batches = new ReadableStream<wasm.RecordBatch>({
    start(controller) {
      for (const slice of slices) controller.enqueue(slice); // each is consumed by the writer
      controller.close();
    },
  });
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of await wasm.transformParquetStream(batches, props)) {
    parts.push(part as Uint8Array);
    length += (part as Uint8Array).length;
  }
  // Shared memory: the deflate threads read their pages from it without a copy (deflateThreads.ts).
  const written = new Uint8Array(new SharedArrayBuffer(length));
  let at = 0;
  for (const part of parts) {
    written.set(part, at);
    at += part.length;
  }
  return written;
}

/** The surviving row ranges of `table`, as one table (zero-copy slices). */
function keepRows(table: Table, runs: number[]): Table {
  const batches: RecordBatch[] = [];
  for (let i = 0; i < runs.length; i += 2) batches.push(...table.slice(runs[i], runs[i + 1]).batches);
  return new Table(table.schema, batches);
}

const NANOS_PER_DAY = 86_400_000_000_000n;
const JULIAN_DAY_OF_EPOCH = 2_440_588n;
const NANOS_PER_UNIT: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1_000_000_000n,
  [TimeUnit.MILLISECOND]: 1_000_000n,
  [TimeUnit.MICROSECOND]: 1_000n,
  [TimeUnit.NANOSECOND]: 1n,
};

/**
 * parquet-wasm reads INT96 as timestamp[ns] and cannot write INT96. INT96's PLAIN bytes (8 bytes
 * nanoseconds of the day, 4 bytes Julian day, little endian) are the PLAIN bytes of a 12-byte
 * FIXED_LEN_BYTE_ARRAY, so the column is handed to the writer as such and typed INT96 in the footer.
 */
function withInt96AsFixedBinary(table: Table, columns: Set<number>): Table {
  const type = new FixedSizeBinary(12);
  const fields = table.schema.fields.map((f, i) =>
    columns.has(i) ? new Field(f.name, type, f.nullable, f.metadata) : f,
  );
  const schema = new Schema(fields, table.schema.metadata);
  const batches = table.batches.map((batch) => {
    const children = batch.data.children.map((child, i) => (columns.has(i) ? int96Data(child) : child));
    return new RecordBatch(
      schema,
      makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children }),
    );
  });
  return new Table(schema, batches);
}

function int96Data(data: Data): Data<FixedSizeBinary> {
  if (!DataType.isTimestamp(data.type))
    throw new UnfaithfulRewriteError(`INT96 column decoded as ${data.type}`);
  const factor = NANOS_PER_UNIT[data.type.unit as TimeUnit];
  // apache-arrow keeps 64-bit timestamps as pairs of 32-bit words: view the same bytes as int64.
  const raw = data.values as ArrayBufferView;
  const values = new BigInt64Array(raw.buffer, raw.byteOffset, raw.byteLength >> 3);
  const out = new Uint8Array(data.length * 12);
  const view = new DataView(out.buffer);
  const validity = new Uint8Array((data.length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < data.length; i++) {
    if (!data.getValid(i)) {
      nullCount++;
      continue;
    }
    validity[i >> 3] |= 1 << (i & 7);
    const ns = values[i] * factor; // slicing already moved `values` to the slice start
    let day = ns / NANOS_PER_DAY;
    let nanos = ns % NANOS_PER_DAY;
    if (nanos < 0n) {
      nanos += NANOS_PER_DAY;
      day -= 1n;
    }
    view.setBigUint64(i * 12, nanos, true);
    view.setUint32(i * 12 + 8, Number(day + JULIAN_DAY_OF_EPOCH), true);
  }
  return makeData({
    type: new FixedSizeBinary(12),
    length: data.length,
    nullCount,
    nullBitmap: nullCount > 0 ? validity : null,
    data: out,
  });
}

async function liftChunks(written: Uint8Array, task: RowGroupRewriteTask): Promise<RewrittenChunk[]> {
  const len = new DataView(written.buffer, written.byteOffset + written.length - 8, 4).getUint32(0, true);
  const footer = parseFooter(written.subarray(written.length - 8 - len, written.length - 8));
  check(footer.leaves, task.leaves);
  const groups = footer.rowGroups;
  if (groups.length !== 1)
    throw new UnfaithfulRewriteError(`the writer produced ${groups.length} row groups, expected 1`);
  const columns = getStructList(groups[0], F.rowGroup.columns);
  return Promise.all(
    columns.map(async (chunk, i) => {
      const leaf = task.leaves[i];
      const range = chunkRange(chunk);
      const isInt96 = leaf.physicalType === PhysicalType.INT96;
      const codec = task.codecs[i];
      const writtenCodec = getI32(columnMeta(chunk), F.meta.codec) ?? 0;
      const expected = codec === Codec.GZIP ? Codec.UNCOMPRESSED : codec;
      if (writtenCodec !== expected) {
        throw new UnfaithfulRewriteError(
          `column '${leaf.path}' was written with codec ${Codec[writtenCodec]}, not ${Codec[expected]}`,
        );
      }
      const pages = await rewritePages(written.subarray(range.start, range.start + range.length), {
        mode: codec === Codec.GZIP ? "deflate" : "none",
        gzipLevel: task.gzipLevel,
        dropStatistics: isInt96,
      });
      const meta: TStruct = new Map(columnMeta(chunk));
      meta.set(F.meta.type, i32(leaf.physicalType));
      meta.set(F.meta.codec, i32(codec));
      meta.set(F.meta.totalCompressed, i64(pages.length));
      meta.set(F.meta.dataPageOffset, i64(pages.dataPageOffset));
      if (pages.dictionaryPageOffset !== undefined)
        meta.set(F.meta.dictionaryPageOffset, i64(pages.dictionaryPageOffset));
      else meta.delete(F.meta.dictionaryPageOffset);
      meta.delete(F.meta.indexPageOffset);
      meta.delete(F.meta.bloomFilterOffset);
      meta.delete(F.meta.bloomFilterLength);
      if (isInt96) meta.delete(F.meta.statistics); // INT96 has no defined sort order
      if ((getI64(meta, F.meta.numValues) ?? 0) < 0)
        throw new UnfaithfulRewriteError("corrupt chunk written");
      return { bytes: Buffer.concat(pages.parts, pages.length), meta };
    }),
  );
}

/** The written leaves must match the original ones in physical type, width and levels. */
function check(written: LeafColumn[], original: LeafColumn[]): void {
  if (written.length !== original.length) {
    throw new UnfaithfulRewriteError(
      `the writer produced ${written.length} columns, the file has ${original.length}`,
    );
  }
  for (let i = 0; i < original.length; i++) {
    const o = original[i];
    const w = written[i];
    const sameType =
      o.physicalType === PhysicalType.INT96
        ? w.physicalType === PhysicalType.FIXED_LEN_BYTE_ARRAY && w.typeLength === 12
        : w.physicalType === o.physicalType && (o.typeLength ?? 0) === (w.typeLength ?? 0);
    if (w.path !== o.path || !sameType) {
      throw new UnfaithfulRewriteError(
        `column '${o.path}' (${PhysicalType[o.physicalType]}) would be written as ${PhysicalType[w.physicalType]}; refusing to change its physical type`,
      );
    }
    if (w.maxDefinitionLevel !== o.maxDefinitionLevel || w.maxRepetitionLevel !== o.maxRepetitionLevel) {
      throw new UnfaithfulRewriteError(
        `column '${o.path}' would change its nullability or nesting; refusing`,
      );
    }
  }
}
