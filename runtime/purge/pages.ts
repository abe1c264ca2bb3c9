// Walks the pages of a column chunk written UNCOMPRESSED and compresses their bodies with Node's
// native zlib (GZIP) - several times faster than the WASM deflate, and it runs on the libuv pool, so
// pages of several columns compress on all cores. Page headers are re-encoded with the new sizes.
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { F, PageType } from "./parquetFormat";
import { TStruct, TType, decodeStruct, encodeStruct, getI32, getStruct, i32 } from "./thriftCompact";

const gzip = promisify(zlib.gzip);

export interface RewrittenPages {
  bytes: Uint8Array;
  /** Offsets relative to the chunk start. */
  dictionaryPageOffset?: number;
  dataPageOffset: number;
}

export interface PageRewriteOptions {
  /** Compress bodies with gzip (input pages must be uncompressed). */
  gzip: boolean;
  /** Drop page-level statistics (INT96 has no defined sort order). */
  dropStatistics: boolean;
}

export async function rewritePages(chunk: Uint8Array, options: PageRewriteOptions): Promise<RewrittenPages> {
  const pages: { header: TStruct; body: Promise<Uint8Array>; type: number }[] = [];
  let pos = 0;
  while (pos < chunk.length) {
    const { value: header, end } = decodeStruct(chunk, pos);
    const size = getI32(header, F.page.compressedSize) ?? 0;
    const body = chunk.subarray(end, end + size);
    pos = end + size;
    const type = getI32(header, F.page.type) ?? 0;
    pages.push({ header, type, body: options.gzip ? compressBody(header, type, body) : Promise.resolve(body) });
    if (options.dropStatistics) dropStatistics(header, type);
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  let dictionaryPageOffset: number | undefined;
  let dataPageOffset: number | undefined;
  for (const page of pages) {
    const body = await page.body;
    page.header.set(F.page.compressedSize, i32(body.length));
    page.header.delete(F.page.crc); // the CRC covered the old bytes
    const head = encodeStruct(page.header);
    if (page.type === PageType.DICTIONARY_PAGE && dictionaryPageOffset === undefined) dictionaryPageOffset = offset;
    if ((page.type === PageType.DATA_PAGE || page.type === PageType.DATA_PAGE_V2) && dataPageOffset === undefined) {
      dataPageOffset = offset;
    }
    parts.push(head, body);
    offset += head.length + body.length;
  }
  return { bytes: Buffer.concat(parts), dictionaryPageOffset, dataPageOffset: dataPageOffset ?? 0 };
}

async function compressBody(header: TStruct, type: number, body: Uint8Array): Promise<Uint8Array> {
  if (type !== PageType.DATA_PAGE_V2) return type === PageType.INDEX_PAGE ? body : gzip(body);
  // V2: the level bytes stay uncompressed in front of the compressed values.
  const v2 = getStruct(header, F.page.dataV2)!;
  const levels = (getI32(v2, F.dataV2.defLength) ?? 0) + (getI32(v2, F.dataV2.repLength) ?? 0);
  v2.set(F.dataV2.isCompressed, { t: TType.True, v: true });
  const values = await gzip(body.subarray(levels));
  return Buffer.concat([body.subarray(0, levels), values]);
}

function dropStatistics(header: TStruct, type: number): void {
  if (type === PageType.DATA_PAGE) getStruct(header, F.page.dataV1)?.delete(F.dataV1.statistics);
  if (type === PageType.DATA_PAGE_V2) getStruct(header, F.page.dataV2)?.delete(F.dataV2.statistics);
}
