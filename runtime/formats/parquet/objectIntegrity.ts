// Checks that a Parquet object is whole before its bytes are trusted: every column chunk lies inside
// the file, and every chunk's pages walk to its end with headers that decode, sizes that fit, value
// counts that add up to the chunk's and CRCs (where the writer put them) that match. Headers only, so
// it costs little next to decoding; it catches truncation and most flipped bytes outside page bodies,
// also in row groups that are copied without being decoded. What a decoder meets later (a page body
// that does not decode or inflate to its stated size) becomes the same CorruptObjectError.
import * as zlib from "node:zlib";
import * as wasm from "parquet-wasm";
import { CorruptObjectError, messageOf } from "../corruptObject";
import { MatchSpecError } from "../../subjects/matcher";
import {
  F,
  Footer,
  LeafColumn,
  MAGIC,
  PageType,
  ParquetFormatError,
  chunkRange,
  columnMeta,
  encodeFooter,
} from "./parquetFormat";
import { UnfaithfulRewriteError } from "./rowGroupRewrite";
import {
  TStruct,
  decodeStruct,
  getI32,
  getI64,
  getString,
  getStruct,
  getStructList,
  structList,
} from "./thriftCompact";
import { pageHeaderShape, shapeProblem } from "./thriftSchema";

/** Column chunks must lie between the leading magic and the footer, without overlapping it. */
export function checkLayout(footer: Footer, size: number, name: string | undefined): void {
  const dataEnd = size - 8 - footer.encodedLength;
  footer.rowGroups.forEach((rowGroup, index) => {
    try {
      const rows = getI64(rowGroup, F.rowGroup.numRows) ?? 0;
      if (!Number.isSafeInteger(rows) || rows < 0) throw new Error(`row count ${rows}`);
      const chunks = getStructList(rowGroup, F.rowGroup.columns);
      if (chunks.length !== footer.leaves.length) {
        throw new Error(`${chunks.length} column chunks for ${footer.leaves.length} columns`);
      }
      chunks.forEach((chunk, i) => {
        const { start, length } = chunkRange(chunk);
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || length < 0) {
          throw new Error(`column '${footer.leaves[i].path}': impossible byte range`);
        }
        if (start < 4 || start + length > dataEnd) {
          throw new Error(`column '${footer.leaves[i].path}' lies outside the file's data`);
        }
      });
    } catch (err) {
      throw asCorrupt(err, name, `row group ${index}`);
    }
  });
}

/**
 * The Arrow schema pyarrow and others embed (key ARROW:schema, base64 of an Arrow IPC schema message)
 * is copied into the output as it is, so it must decode and fit the Parquet schema. parquet-wasm
 * (arrow-rs, whose flatbuffers reader verifies offsets and sizes) reads it from a file of the footer
 * alone, without row groups: a damaged message fails there, instead of in whoever reads our output.
 */
export function checkArrowSchema(footer: Footer, name: string | undefined): void {
  const kv = getStructList(footer.raw, F.file.keyValue).filter((e) => getString(e, 1) === "ARROW:schema");
  if (kv.length === 0) return;
  const text = getString(kv[0], 2) ?? "";
  const prefix = arrowSchemaPrefixProblem(text);
  if (prefix)
    throw new CorruptObjectError(name, "footer", `the embedded Arrow schema (ARROW:schema) ${prefix}`);
  const raw: TStruct = new Map(footer.raw);
  raw.set(F.file.keyValue, structList(kv));
  raw.delete(F.file.columnOrders);
  try {
    wasm.readParquet(Buffer.concat([MAGIC, encodeFooter(raw, [])])).free();
  } catch (err) {
    throw new CorruptObjectError(
      name,
      "footer",
      `the embedded Arrow schema (ARROW:schema) does not fit the file: ${messageOf(err)}`,
    );
  }
}

/** Strict base64, and the IPC message's length prefix (after the 0xFFFFFFFF marker, if any) in range. */
function arrowSchemaPrefixProblem(text: string): string | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return "is not base64";
  const bytes = Buffer.from(text, "base64");
  if (bytes.length < 4) return "is too short";
  const marked = bytes.readInt32LE(0) === -1;
  const at = marked ? 4 : 0;
  if (bytes.length < at + 4) return "is too short";
  const length = bytes.readInt32LE(at);
  if (length < 0 || at + 4 + length > bytes.length) return `states a message length of ${length}`;
  return undefined;
}

/**
 * Walks the pages of every column chunk of a row group (`bytes` start at file offset `start`), or only
 * of the chunks of the top-level fields in `fields` when the caller read just those.
 */
export function checkRowGroupPages(
  footer: Footer,
  index: number,
  bytes: Uint8Array,
  start: number,
  name: string | undefined,
  fields?: ReadonlySet<number>,
): void {
  const chunks = getStructList(footer.rowGroups[index], F.rowGroup.columns);
  chunks.forEach((chunk, i) => {
    if (fields && !fields.has(footer.leaves[i].topLevelIndex)) return;
    const r = chunkRange(chunk);
    const body = bytes.subarray(r.start - start, r.start - start + r.length);
    const problem = chunkProblem(body, columnMeta(chunk), footer.leaves[i]);
    if (problem) {
      throw new CorruptObjectError(
        name,
        `row group ${index}`,
        `column '${footer.leaves[i].path}': ${problem}`,
      );
    }
  });
}

function chunkProblem(chunk: Uint8Array, meta: TStruct, leaf: LeafColumn): string | undefined {
  const totalUncompressed = getI64(meta, F.meta.totalUncompressed);
  const numValues = getI64(meta, F.meta.numValues) ?? 0;
  let values = 0;
  let pos = 0;
  while (pos < chunk.length) {
    let header;
    let end;
    try {
      ({ value: header, end } = decodeStruct(chunk, pos));
    } catch (err) {
      return `page header at byte ${pos} of the chunk does not decode (${messageOf(err)})`;
    }
    const problem = shapeProblem(header, pageHeaderShape) ?? pageProblem(header, chunk, end, leaf);
    if (problem) return `page at byte ${pos}: ${problem}`;
    const compressed = getI32(header, F.page.compressedSize)!;
    const uncompressed = getI32(header, F.page.uncompressedSize)!;
    if (totalUncompressed !== undefined && uncompressed > totalUncompressed)
      return `page at byte ${pos} claims ${uncompressed} uncompressed bytes, the whole chunk ${totalUncompressed}`;
    const type = getI32(header, F.page.type);
    if (type === PageType.DATA_PAGE) values += getI32(getStruct(header, F.page.dataV1)!, 1)!;
    if (type === PageType.DATA_PAGE_V2) values += getI32(getStruct(header, F.page.dataV2)!, 1)!;
    pos = end + compressed;
  }
  if (values !== numValues) return `its pages hold ${values} values, its metadata says ${numValues}`;
  return undefined;
}

/** Encodings a data page may use (parquet.thrift Encoding, less the never-used GROUP_VAR_INT). */
const DATA_ENCODINGS = new Set([0, 2, 3, 4, 5, 6, 7, 8, 9]);
/** RLE and BIT_PACKED, the encodings of V1 levels; PLAIN and PLAIN_DICTIONARY for dictionaries. */
const LEVEL_ENCODINGS = new Set([3, 4]);
const DICTIONARY_ENCODINGS = new Set([0, 2]);

/** One page header (shape already checked) against its body at `start` and its column's levels. */
function pageProblem(
  header: TStruct,
  chunk: Uint8Array,
  start: number,
  leaf: LeafColumn,
): string | undefined {
  const type = getI32(header, F.page.type)!;
  const compressed = getI32(header, F.page.compressedSize)!;
  const uncompressed = getI32(header, F.page.uncompressedSize)!;
  if (compressed < 0 || start + compressed > chunk.length) return "runs past the end of the column chunk";
  if (uncompressed < 0) return `impossible uncompressed size ${uncompressed}`;
  const body = chunk.subarray(start, start + compressed);
  const crc = getI32(header, F.page.crc);
  if (crc !== undefined && (zlib.crc32(body) | 0) !== crc) return "fails its CRC";
  if (type === PageType.DICTIONARY_PAGE) {
    const d = getStruct(header, F.page.dictionary);
    if (!d) return "a dictionary page without its header";
    if (getI32(d, 1)! < 0) return "a negative value count";
    if (!DICTIONARY_ENCODINGS.has(getI32(d, 2)!)) return `dictionary encoding ${getI32(d, 2)} is not defined`;
  }
  if (type === PageType.DATA_PAGE) {
    const d = getStruct(header, F.page.dataV1);
    if (!d) return "a data page without its header";
    if (getI32(d, 1)! < 0) return "a negative value count";
    if (!DATA_ENCODINGS.has(getI32(d, 2)!)) return `encoding ${getI32(d, 2)} is not defined`;
    if (!LEVEL_ENCODINGS.has(getI32(d, 3)!) || !LEVEL_ENCODINGS.has(getI32(d, 4)!))
      return "a level encoding that is not defined";
  }
  if (type === PageType.DATA_PAGE_V2) {
    const d = getStruct(header, F.page.dataV2);
    if (!d) return "a V2 data page without its header";
    const [count, nulls, rows] = [getI32(d, 1)!, getI32(d, 2)!, getI32(d, 3)!];
    if (count < 0 || nulls < 0 || nulls > count || rows < 0 || rows > count)
      return `impossible counts (${count} values, ${nulls} nulls, ${rows} rows)`;
    if (!DATA_ENCODINGS.has(getI32(d, 4)!)) return `encoding ${getI32(d, 4)} is not defined`;
    const defLength = getI32(d, F.dataV2.defLength)!;
    const repLength = getI32(d, F.dataV2.repLength)!;
    if (defLength < 0 || repLength < 0 || defLength + repLength > Math.min(compressed, uncompressed))
      return `impossible level lengths (${repLength} + ${defLength} bytes)`;
    if (d.get(F.dataV2.isCompressed)?.v === false && compressed !== uncompressed)
      return "an uncompressed page whose sizes differ";
    // V2 levels are never compressed: they must run, RLE/bit-packed, exactly to their stated lengths.
    const rep = levelsProblem(body.subarray(0, repLength), leaf.maxRepetitionLevel, count);
    if (rep) return `repetition levels: ${rep}`;
    const def = levelsProblem(
      body.subarray(repLength, repLength + defLength),
      leaf.maxDefinitionLevel,
      count,
    );
    if (def) return `definition levels: ${def}`;
  }
  return undefined;
}

/** RLE/bit-packed hybrid levels of `values` entries up to `maxLevel`, filling `bytes` exactly. */
function levelsProblem(bytes: Uint8Array, maxLevel: number, values: number): string | undefined {
  if (maxLevel === 0) return bytes.length === 0 ? undefined : "present for a column that has none";
  const bitWidth = 32 - Math.clz32(maxLevel);
  let pos = 0;
  let count = 0;
  while (pos < bytes.length) {
    let run = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= bytes.length || shift > 28) return "a run header that does not decode";
      b = bytes[pos++];
      run += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (run % 2 === 0) {
      count += run / 2;
      pos += Math.ceil(bitWidth / 8);
    } else {
      const groups = (run - 1) / 2;
      count += groups * 8;
      pos += groups * bitWidth;
    }
    if (pos > bytes.length) return "a run past their stated length";
  }
  if (count < values || count >= values + 8) return `${count} levels for ${values} values`;
  return undefined;
}

/**
 * A failure while decoding a part of the object, as a CorruptObjectError naming it. The engine's own
 * refusals (a key column it cannot match, a column it cannot write back) keep their type.
 */
export function asCorrupt(err: unknown, name: string | undefined, part: string): Error {
  if (err instanceof CorruptObjectError) {
    return err.object === undefined && name !== undefined
      ? new CorruptObjectError(name, err.part, err.detail)
      : err;
  }
  if (
    err instanceof MatchSpecError ||
    err instanceof UnfaithfulRewriteError ||
    err instanceof ParquetFormatError
  ) {
    return err;
  }
  return new CorruptObjectError(name, part, messageOf(err));
}
