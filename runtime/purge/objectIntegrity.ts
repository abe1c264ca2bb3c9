// Checks that a Parquet object is whole before its bytes are trusted: every column chunk lies inside
// the file, and every chunk's pages walk to its end with headers that decode, sizes that fit, value
// counts that add up to the chunk's and CRCs (where the writer put them) that match. Headers only, so
// it costs little next to decoding; it catches truncation and most flipped bytes outside page bodies,
// also in row groups that are copied without being decoded. What a decoder meets later (a page body
// that does not decode or inflate to its stated size) becomes the same CorruptObjectError.
import * as zlib from "node:zlib";
import { CorruptObjectError, messageOf } from "./corruptObject";
import { MatchSpecError } from "./matcher";
import { F, Footer, PageType, ParquetFormatError, chunkRange, columnMeta } from "./parquetFormat";
import { UnfaithfulRewriteError } from "./rowGroupRewrite";
import {
  TStruct,
  ThriftError,
  decodeStruct,
  getI32,
  getI64,
  getStruct,
  getStructList,
} from "./thriftCompact";

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

/** Walks the pages of every column chunk of a row group (`bytes` start at file offset `start`). */
export function checkRowGroupPages(
  footer: Footer,
  index: number,
  bytes: Uint8Array,
  start: number,
  name: string | undefined,
): void {
  const chunks = getStructList(footer.rowGroups[index], F.rowGroup.columns);
  chunks.forEach((chunk, i) => {
    const r = chunkRange(chunk);
    const body = bytes.subarray(r.start - start, r.start - start + r.length);
    const problem = chunkProblem(body, columnMeta(chunk));
    if (problem) {
      throw new CorruptObjectError(
        name,
        `row group ${index}`,
        `column '${footer.leaves[i].path}': ${problem}`,
      );
    }
  });
}

function chunkProblem(chunk: Uint8Array, meta: TStruct): string | undefined {
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
    try {
      const type = getI32(header, F.page.type);
      const compressed = getI32(header, F.page.compressedSize);
      const uncompressed = getI32(header, F.page.uncompressedSize);
      if (type === undefined || type < PageType.DATA_PAGE || type > PageType.DATA_PAGE_V2)
        return `page at byte ${pos}: unknown page type ${type}`;
      if (compressed === undefined || compressed < 0 || end + compressed > chunk.length)
        return `page at byte ${pos} runs past the end of the column chunk`;
      if (uncompressed === undefined || uncompressed < 0)
        return `page at byte ${pos}: impossible uncompressed size ${uncompressed}`;
      if (totalUncompressed !== undefined && uncompressed > totalUncompressed)
        return `page at byte ${pos} claims ${uncompressed} uncompressed bytes, the whole chunk ${totalUncompressed}`;
      const crc = getI32(header, F.page.crc);
      if (crc !== undefined && (zlib.crc32(chunk.subarray(end, end + compressed)) | 0) !== crc)
        return `page at byte ${pos} fails its CRC`;
      if (type === PageType.DATA_PAGE)
        values += getI32(getStruct(header, F.page.dataV1) ?? new Map(), 1) ?? 0;
      if (type === PageType.DATA_PAGE_V2)
        values += getI32(getStruct(header, F.page.dataV2) ?? new Map(), 1) ?? 0;
      pos = end + compressed;
    } catch (err) {
      if (err instanceof ThriftError) return `page at byte ${pos}: ${err.message}`;
      throw err;
    }
  }
  if (values !== numValues) return `its pages hold ${values} values, its metadata says ${numValues}`;
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
