// Walks the pages of a column chunk and (de)compresses GZIP page bodies with Node's native zlib,
// several times faster than parquet-wasm's WASM deflate/inflate; page headers are re-encoded with the
// new sizes. Used to deflate chunks parquet-wasm wrote UNCOMPRESSED, and to inflate input chunks
// before parquet-wasm decodes them.
import { promisify } from "node:util";
import { isMainThread } from "node:worker_threads";
import * as zlib from "node:zlib";
import { gzipOnThread } from "./deflateThreads";
import { Codec, F, PageType } from "./parquetFormat";
import { TStruct, TType, decodeStruct, encodeStruct, getI32, getStruct, i32 } from "./thriftCompact";

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export interface RewrittenPages {
  /** Page headers and bodies in order (not joined: callers copy them once, where they need to). */
  parts: Uint8Array[];
  length: number;
  /** Offsets relative to the chunk start. */
  dictionaryPageOffset?: number;
  dataPageOffset: number;
}

export interface PageRewriteOptions {
  /** deflate: bodies are uncompressed and get gzip; inflate: bodies are gzip and get inflated. */
  mode: "deflate" | "inflate" | "none";
  /** Drop page-level statistics (INT96 has no defined sort order). */
  dropStatistics?: boolean;
  /** zlib level when deflating (default DEFAULT_GZIP_LEVEL). */
  gzipLevel?: number;
}

/**
 * zlib level 5 with the Z_FILTERED strategy (set in deflateThreads.ts too): on the bench file's pages
 * 40 % less CPU than level 6 for 2.3 % more bytes than level 6 (level 5 alone: 5.1 % more; level 6
 * filtered: 2.9 % fewer bytes, no faster), so a purged object stays within 2 % of its input's size.
 * Measured: docs/purge.md, "Performance".
 */
export const DEFAULT_GZIP_LEVEL = 5;

/** Inflates a GZIP chunk; null for other codecs (parquet-wasm decompresses those itself). */
export async function inflateChunk(chunk: Uint8Array, codec: Codec): Promise<RewrittenPages | null> {
  return codec === Codec.GZIP ? rewritePages(chunk, { mode: "inflate" }) : null;
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
    const transformed = transformBody(header, type, body, options);
    // Awaited in order below; a page after a failing one (or after a header that does not decode)
    // must not count as an unhandled rejection.
    transformed.catch(() => undefined);
    pages.push({ header, type, body: transformed });
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
    if (page.type === PageType.DICTIONARY_PAGE && dictionaryPageOffset === undefined)
      dictionaryPageOffset = offset;
    if (
      (page.type === PageType.DATA_PAGE || page.type === PageType.DATA_PAGE_V2) &&
      dataPageOffset === undefined
    ) {
      dataPageOffset = offset;
    }
    parts.push(head, body);
    offset += head.length + body.length;
  }
  return { parts, length: offset, dictionaryPageOffset, dataPageOffset: dataPageOffset ?? 0 };
}

async function transformBody(header: TStruct, type: number, body: Uint8Array, options: PageRewriteOptions) {
  const mode = options.mode;
  if (mode === "none" || type === PageType.INDEX_PAGE) return body;
  const level = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  // One output buffer per page instead of zlib's 16 KiB pieces: far fewer callbacks and copies.
  const expected = mode === "deflate" ? body.length : (getI32(header, F.page.uncompressedSize) ?? 0);
  const chunkSize = Math.min(Math.max(expected + 1024, zlib.constants.Z_MIN_CHUNK), 64 << 20);
  // The calling thread deflates on dedicated threads (deflateThreads.ts); a row-group worker thread
  // (workerPool.ts) has no WASM work to share its event loop with and uses libuv's pool.
  // V2: the level bytes stay uncompressed in front of the (possibly) compressed values.
  const v2 = type === PageType.DATA_PAGE_V2 ? getStruct(header, F.page.dataV2) : undefined;
  if (type === PageType.DATA_PAGE_V2 && !v2) throw new Error("a V2 data page without its header");
  const levels = v2 ? (getI32(v2, F.dataV2.defLength) ?? 0) + (getI32(v2, F.dataV2.repLength) ?? 0) : 0;
  const codec = (b: Uint8Array) =>
    mode === "inflate"
      ? inflateExactly(b, expected - levels, chunkSize)
      : isMainThread
        ? gzipOnThread(b, level)
        : gzip(b, { level, strategy: zlib.constants.Z_FILTERED, chunkSize });
  if (!v2) return codec(body);
  if (levels < 0 || levels > body.length)
    throw new Error(`a V2 page's level bytes (${levels}) exceed the page`);
  const compressed = v2.get(F.dataV2.isCompressed)?.v !== false;
  if (mode === "inflate" && !compressed) return body;
  v2.set(
    F.dataV2.isCompressed,
    mode === "deflate" ? { t: TType.True, v: true } : { t: TType.False, v: false },
  );
  const values = await codec(body.subarray(levels));
  return Buffer.concat([body.subarray(0, levels), values]);
}

/**
 * Inflates a page body to exactly the size its header states: inflation stops at that size, so a page
 * that would inflate to more (a hostile or damaged page) fails instead of taking memory.
 */
async function inflateExactly(body: Uint8Array, size: number, chunkSize: number): Promise<Uint8Array> {
  if (size < 0) throw new Error(`a page states an uncompressed size of ${size}`);
  let out: Uint8Array;
  try {
    out = await gunzip(body, { chunkSize, maxOutputLength: Math.max(1, size) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
      throw new Error(`a page inflates to more than the ${size} bytes its header states`);
    throw new Error(`a page does not inflate: ${(err as Error).message}`);
  }
  if (out.length !== size)
    throw new Error(`a page inflates to ${out.length} bytes, its header states ${size}`);
  return out;
}

function dropStatistics(header: TStruct, type: number): void {
  if (type === PageType.DATA_PAGE) getStruct(header, F.page.dataV1)?.delete(F.dataV1.statistics);
  if (type === PageType.DATA_PAGE_V2) getStruct(header, F.page.dataV2)?.delete(F.dataV2.statistics);
}
