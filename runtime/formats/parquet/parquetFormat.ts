// Parquet's file layout, read and written at the byte level: magic, footer (FileMetaData), the leaf
// columns of the schema, column chunk byte ranges and offset fix-ups. Field ids follow parquet.thrift.
import {
  TStruct,
  TType,
  decodeStruct,
  encodeStruct,
  getI32,
  getI64,
  getList,
  getString,
  getStruct,
  getStructList,
  i64,
  structList,
  ThriftError,
} from "./thriftCompact";
import { ByteSource, bufferSource } from "../byteSource";
import { CorruptObjectError, messageOf } from "../corruptObject";
import { fileMetaDataShape, shapeProblem } from "./thriftSchema";

export const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

/** parquet.thrift field ids of the structs this engine reads or rewrites. */
export const F = {
  file: {
    version: 1,
    schema: 2,
    numRows: 3,
    rowGroups: 4,
    keyValue: 5,
    createdBy: 6,
    columnOrders: 7,
    encryption: 8,
  },
  schema: { type: 1, typeLength: 2, repetition: 3, name: 4, numChildren: 5 },
  rowGroup: { columns: 1, totalByteSize: 2, numRows: 3, fileOffset: 5, totalCompressedSize: 6 },
  chunk: {
    filePath: 1,
    fileOffset: 2,
    metaData: 3,
    offsetIndexOffset: 4,
    offsetIndexLength: 5,
    columnIndexOffset: 6,
    columnIndexLength: 7,
    cryptoMetadata: 8,
  },
  meta: {
    type: 1,
    encodings: 2,
    path: 3,
    codec: 4,
    numValues: 5,
    totalUncompressed: 6,
    totalCompressed: 7,
    keyValue: 8,
    dataPageOffset: 9,
    indexPageOffset: 10,
    dictionaryPageOffset: 11,
    statistics: 12,
    encodingStats: 13,
    bloomFilterOffset: 14,
    bloomFilterLength: 15,
  },
  page: { type: 1, uncompressedSize: 2, compressedSize: 3, crc: 4, dataV1: 5, dictionary: 7, dataV2: 8 },
  dataV1: { statistics: 5 },
  dataV2: { defLength: 5, repLength: 6, isCompressed: 7, statistics: 8 },
} as const;

export enum PhysicalType {
  BOOLEAN = 0,
  INT32 = 1,
  INT64 = 2,
  INT96 = 3,
  FLOAT = 4,
  DOUBLE = 5,
  BYTE_ARRAY = 6,
  FIXED_LEN_BYTE_ARRAY = 7,
}

export enum Codec {
  UNCOMPRESSED = 0,
  SNAPPY = 1,
  GZIP = 2,
  LZO = 3,
  BROTLI = 4,
  LZ4 = 5,
  ZSTD = 6,
  LZ4_RAW = 7,
}

export enum PageType {
  DATA_PAGE = 0,
  INDEX_PAGE = 1,
  DICTIONARY_PAGE = 2,
  DATA_PAGE_V2 = 3,
}

const REQUIRED = 0;
const REPEATED = 2;

/** The input is not a Parquet file, or one this engine cannot read (encrypted, external chunks). */
export class ParquetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParquetFormatError";
  }
}

export interface LeafColumn {
  /** Dotted path, e.g. "user.id". */
  path: string;
  pathParts: string[];
  physicalType: PhysicalType;
  typeLength?: number;
  maxDefinitionLevel: number;
  maxRepetitionLevel: number;
  /** Index of the top-level field this leaf belongs to. */
  topLevelIndex: number;
}

export interface Footer {
  /** The FileMetaData exactly as read; untouched fields are written back unchanged. */
  raw: TStruct;
  numRows: number;
  leaves: LeafColumn[];
  rowGroups: TStruct[];
  /** The encoded length of the footer in the input file. */
  encodedLength: number;
}

// The byte source is every format's (runtime/formats/byteSource.ts); Parquet code imports it from here.
export { bufferSource };
export type { ByteSource };

export async function readFooter(source: ByteSource): Promise<Footer> {
  const name = source.name;
  const head = await source.read(0, Math.min(4, source.size));
  const tail = await source.read(Math.max(0, source.size - 8), Math.min(8, source.size));
  const headOk = sameBytes(head, MAGIC);
  const tailOk = tail.length === 8 && sameBytes(tail.subarray(4), MAGIC);
  if (tail.length === 8 && sameBytes(tail.subarray(4), new Uint8Array([0x50, 0x41, 0x52, 0x45]))) {
    throw new ParquetFormatError("encrypted Parquet files (PARE) are not supported");
  }
  if (!headOk && !tailOk) {
    throw new ParquetFormatError(
      `not a Parquet file: ${source.size < 12 ? "too short" : "missing PAR1 magic"}`,
    );
  }
  // One magic but not the other, or no room for a footer: a Parquet file cut short or damaged.
  if (source.size < 12) throw new CorruptObjectError(name, "footer", "too short for a Parquet file");
  if (!tailOk) throw new CorruptObjectError(name, "footer", "no PAR1 magic at the end (truncated?)");
  if (!headOk) throw new CorruptObjectError(name, "footer", "no PAR1 magic at the start");
  const footerLength = new DataView(tail.buffer, tail.byteOffset, 4).getUint32(0, true);
  if (footerLength + 12 > source.size) {
    throw new CorruptObjectError(name, "footer", `footer length ${footerLength} exceeds the file`);
  }
  const bytes = await source.read(source.size - 8 - footerLength, footerLength);
  try {
    return parseFooter(bytes);
  } catch (err) {
    if (err instanceof CorruptObjectError) throw new CorruptObjectError(name, err.part, err.detail);
    throw err;
  }
}

/** Decodes FileMetaData; a footer that does not decode is a CorruptObjectError (object unnamed). */
export function parseFooter(bytes: Uint8Array): Footer {
  try {
    return decodeFooter(bytes);
  } catch (err) {
    if (err instanceof ThriftError || err instanceof RangeError)
      throw new CorruptObjectError(undefined, "footer", messageOf(err));
    throw err;
  }
}

function decodeFooter(bytes: Uint8Array): Footer {
  const raw = decodeStruct(bytes).value;
  if (raw.has(F.file.encryption)) throw new ParquetFormatError("encrypted Parquet files are not supported");
  const problem = shapeProblem(raw, fileMetaDataShape);
  if (problem) throw new CorruptObjectError(undefined, "footer", problem);
  const schema = getStructList(raw, F.file.schema);
  if (schema.length === 0) throw new CorruptObjectError(undefined, "footer", "empty schema");
  return {
    raw,
    numRows: getI64(raw, F.file.numRows) ?? 0,
    leaves: leafColumns(schema),
    rowGroups: getStructList(raw, F.file.rowGroups),
    encodedLength: bytes.length,
  };
}

/** Walks the flattened schema (depth-first, num_children) to list the leaf columns with their levels. */
export function leafColumns(schema: TStruct[]): LeafColumn[] {
  const leaves: LeafColumn[] = [];
  let pos = 1;
  const walk = (parts: string[], def: number, rep: number, top: number): void => {
    const el = schema[pos++];
    if (!el) throw new CorruptObjectError(undefined, "footer", "schema: children missing");
    const name = getString(el, F.schema.name) ?? "";
    const repetition = getI32(el, F.schema.repetition) ?? REQUIRED;
    const d = def + (repetition === REQUIRED ? 0 : 1);
    const r = rep + (repetition === REPEATED ? 1 : 0);
    const children = getI32(el, F.schema.numChildren) ?? 0;
    const path = [...parts, name];
    if (children > 0) {
      for (let i = 0; i < children; i++) walk(path, d, r, top);
      return;
    }
    const physicalType = getI32(el, F.schema.type);
    if (physicalType === undefined)
      throw new CorruptObjectError(undefined, "footer", `schema: no type for ${path.join(".")}`);
    leaves.push({
      path: path.join("."),
      pathParts: path,
      physicalType,
      typeLength: getI32(el, F.schema.typeLength),
      maxDefinitionLevel: d,
      maxRepetitionLevel: r,
      topLevelIndex: top,
    });
  };
  const topLevel = getI32(schema[0], F.schema.numChildren) ?? 0;
  for (let i = 0; i < topLevel; i++) walk([], 0, 0, i);
  return leaves;
}

export function columnMeta(chunk: TStruct): TStruct {
  if (chunk.has(F.chunk.filePath))
    throw new ParquetFormatError("column chunks in external files are not supported");
  const meta = getStruct(chunk, F.chunk.metaData);
  if (!meta) throw new CorruptObjectError(undefined, "footer", "a column chunk without metadata");
  return meta;
}

/** Where a column chunk's bytes start and how long they are (dictionary page first when present). */
export function chunkRange(chunk: TStruct): { start: number; length: number } {
  const meta = columnMeta(chunk);
  const data = getI64(meta, F.meta.dataPageOffset) ?? 0;
  const dict = getI64(meta, F.meta.dictionaryPageOffset);
  // Some writers set dictionary_page_offset to 0 when there is none: only an earlier, positive one counts.
  const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
  const length = getI64(meta, F.meta.totalCompressed) ?? 0;
  return { start, length };
}

/** The byte range covering all of a row group's column chunks (chunks are written contiguously). */
export function rowGroupRange(rowGroup: TStruct): { start: number; end: number } {
  let start = Number.MAX_SAFE_INTEGER;
  let end = 0;
  for (const chunk of getStructList(rowGroup, F.rowGroup.columns)) {
    const r = chunkRange(chunk);
    start = Math.min(start, r.start);
    end = Math.max(end, r.start + r.length);
  }
  return { start, end };
}

/**
 * Moves a column chunk's metadata by `delta` bytes. Page indexes and bloom filters live outside the
 * chunk and are not carried over, so their pointers are dropped (readers then simply do without).
 */
export function shiftChunk(chunk: TStruct, delta: number): TStruct {
  const out: TStruct = new Map(chunk);
  const meta: TStruct = new Map(columnMeta(chunk));
  for (const id of [F.meta.dataPageOffset, F.meta.indexPageOffset, F.meta.dictionaryPageOffset]) {
    const v = getI64(meta, id);
    if (v !== undefined && v > 0) meta.set(id, i64(v + delta));
  }
  meta.delete(F.meta.bloomFilterOffset);
  meta.delete(F.meta.bloomFilterLength);
  out.set(F.chunk.metaData, { t: TType.Struct, v: meta });
  const fileOffset = getI64(chunk, F.chunk.fileOffset);
  if (fileOffset !== undefined && fileOffset > 0) out.set(F.chunk.fileOffset, i64(fileOffset + delta));
  for (const id of [
    F.chunk.offsetIndexOffset,
    F.chunk.offsetIndexLength,
    F.chunk.columnIndexOffset,
    F.chunk.columnIndexLength,
  ]) {
    out.delete(id);
  }
  return out;
}

export function withRowGroupColumns(
  rowGroup: TStruct,
  columns: TStruct[],
  numRows: number,
  start: number,
): TStruct {
  const out: TStruct = new Map(rowGroup);
  out.set(F.rowGroup.columns, structList(columns));
  out.set(F.rowGroup.numRows, i64(numRows));
  let uncompressed = 0;
  let compressed = 0;
  for (const c of columns) {
    const m = columnMeta(c);
    uncompressed += getI64(m, F.meta.totalUncompressed) ?? 0;
    compressed += getI64(m, F.meta.totalCompressed) ?? 0;
  }
  out.set(F.rowGroup.totalByteSize, i64(uncompressed));
  if (out.has(F.rowGroup.totalCompressedSize)) out.set(F.rowGroup.totalCompressedSize, i64(compressed));
  if (out.has(F.rowGroup.fileOffset)) out.set(F.rowGroup.fileOffset, i64(start));
  return out;
}

/** Serialises a footer: the original FileMetaData with new row groups and row count. */
export function encodeFooter(raw: TStruct, rowGroups: TStruct[]): Uint8Array {
  const out: TStruct = new Map(raw);
  out.set(F.file.rowGroups, structList(rowGroups));
  let rows = 0;
  for (const rg of rowGroups) rows += getI64(rg, F.rowGroup.numRows) ?? 0;
  out.set(F.file.numRows, i64(rows));
  const body = encodeStruct(out);
  const trailer = new Uint8Array(body.length + 8);
  trailer.set(body, 0);
  new DataView(trailer.buffer).setUint32(body.length, body.length, true);
  trailer.set(MAGIC, body.length + 4);
  return trailer;
}

/**
 * Whether the chunk's data pages are all dictionary-encoded. A chunk without a dictionary, or whose
 * dictionary overflowed into PLAIN pages (high-cardinality columns), is re-encoded without one: the
 * same encoding as the input, and no time spent building a dictionary that would be dropped.
 */
export function usesDictionaryOnly(chunk: TStruct): boolean {
  const meta = columnMeta(chunk);
  const stats = getStructList(meta, F.meta.encodingStats);
  if (stats.length > 0) {
    const dataPages = stats.filter(
      (s) => getI32(s, 1) === PageType.DATA_PAGE || getI32(s, 1) === PageType.DATA_PAGE_V2,
    );
    return (
      dataPages.length > 0 &&
      dataPages.every((s) =>
        [Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY].includes(getI32(s, 2) ?? -1),
      )
    );
  }
  const encodings = (getList(meta, F.meta.encodings) ?? []).map((v) => (v.t === TType.I32 ? v.v : -1));
  return encodings.includes(Encoding.PLAIN_DICTIONARY) || encodings.includes(Encoding.RLE_DICTIONARY);
}

export enum Encoding {
  PLAIN = 0,
  PLAIN_DICTIONARY = 2,
  RLE_DICTIONARY = 8,
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
