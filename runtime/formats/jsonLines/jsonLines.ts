// JSON Lines objects (plain or gzip): lines whose key matches are dropped, every other line is kept
// byte for byte. A line that is not a JSON object, bytes that are not UTF-8 and a gzip stream that does
// not inflate are errors naming the object (they could hide an ID we cannot check).
// Objects stream: read in ranged pieces, inflated, split and matched line by line, the kept lines
// deflated as they come, so memory is bounded by the longest line, not the object.
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { KeyMatcher, keyText } from "../../subjects/matcher";
import type { ByteSink, ByteSource, PurgeStats } from "../lakeFormat";
import { CorruptObjectError, messageOf } from "../corruptObject";
import { jsonRecordKeys } from "../../subjects/jsonRecordKey";

const gunzip = promisify(zlib.gunzip);
export const gzip = promisify(zlib.gzip);

/** A line of a JSON Lines object that is not a JSON object. */
export class JsonLinesError extends CorruptObjectError {
  constructor(object: string | undefined, line: number, detail: string) {
    super(object, `line ${line}`, detail);
    this.name = "JsonLinesError";
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Bytes read from the object at a time. */
const READ_PIECE_BYTES = 4 * 1024 * 1024;
/** Kept lines are handed on in batches of about this size. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/** Whether the object is gzip (its first two bytes). */
async function gzipped(source: ByteSource): Promise<boolean> {
  return isGzip(await source.read(0, Math.min(2, source.size)));
}

async function* pieces(source: ByteSource): AsyncGenerator<Buffer> {
  for (let at = 0; at < source.size; at += READ_PIECE_BYTES) {
    const bytes = await source.read(at, Math.min(READ_PIECE_BYTES, source.size - at));
    yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }
}

/** The object's text: gzip inflated, UTF-8 decoded strictly (a replaced byte would change kept lines). */
export async function textOf(input: Uint8Array, object: string | undefined): Promise<string> {
  let bytes = input;
  if (isGzip(input)) {
    try {
      bytes = await gunzip(input);
    } catch (err) {
      throw new CorruptObjectError(object, "gzip stream", messageOf(err));
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CorruptObjectError(object, "text", "not valid UTF-8");
  }
}

/**
 * The object's lines, decoded strictly as UTF-8 (a replaced byte would change kept lines), gzip
 * inflated as it streams; split at "\n" as String.split does (the last line may be empty).
 */
async function* lines(source: ByteSource, compressed: boolean): AsyncGenerator<string> {
  const object = source.name;
  const input = Readable.from(pieces(source));
  let bytes: AsyncIterable<Buffer> = input;
  if (compressed) {
    const gunzip = zlib.createGunzip();
    input.on("error", (err) => gunzip.destroy(err));
    bytes = input.pipe(gunzip);
  }
  // One decoder for the whole text: a byte-order mark is dropped at its start only.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (b: Buffer, last: boolean): string => {
    try {
      return decoder.decode(b, { stream: !last });
    } catch {
      throw new CorruptObjectError(object, "text", "not valid UTF-8");
    }
  };
  let rest: Buffer[] = [];
  try {
    for await (const chunk of bytes) {
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
        // "\n" never occurs inside a UTF-8 sequence: every line ends a complete character.
        yield decode(Buffer.concat([...rest, chunk.subarray(from, nl)]), false);
        rest = [];
        from = nl + 1;
      }
      if (from < chunk.length) rest.push(chunk.subarray(from));
    }
  } catch (err) {
    if (isZlibError(err)) throw new CorruptObjectError(object, "gzip stream", messageOf(err));
    throw err;
  }
  yield decode(Buffer.concat(rest), true);
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

/** Writes the object without its matching lines to `sink`, streaming; `source.name` names it in errors. */
export async function purgeJsonLines(
  source: ByteSource,
  sink: ByteSink,
  matcher: KeyMatcher,
): Promise<PurgeStats> {
  const compressed = await gzipped(source);
  let rowsBefore = 0;
  let rowsAfter = 0;
  let bytesOut = 0;
  async function* kept(): AsyncGenerator<Buffer> {
    let batch: string[] = [];
    let batched = 0;
    let first = true;
    let number = 0;
    for await (const line of lines(source, compressed)) {
      number++;
      if (line.trim() !== "") {
        // Blank lines (and the final newline) are structure, not rows: always kept.
        rowsBefore++;
        if (keysOf(line, number, matcher, source.name).some((k) => matcher.has(k))) continue;
        rowsAfter++;
      }
      batch.push(first ? line : `\n${line}`);
      first = false;
      batched += line.length + 1;
      if (batched >= WRITE_BATCH_BYTES) {
        yield Buffer.from(batch.join(""), "utf8");
        batch = [];
        batched = 0;
      }
    }
    if (batch.length > 0) yield Buffer.from(batch.join(""), "utf8");
  }
  // The sink as the last stage of a pipeline (a function taking the stream, resolving when it is drained).
  const toSink = async (chunks: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of chunks) {
      bytesOut += chunk.length;
      await sink.write(chunk);
    }
  };
  if (compressed) await pipeline(Readable.from(kept()), zlib.createGzip(), toSink);
  else await toSink(kept());
  return {
    rowsBefore,
    rowsAfter,
    rowsRemoved: rowsBefore - rowsAfter,
    bytesIn: source.size,
    bytesOut,
    rowGroups: [{ index: 0, rowsBefore, rowsAfter, rewritten: rowsAfter !== rowsBefore }],
  };
}

/** Counts matching rows per key, like scanParquet, streaming. */
export async function scanJsonLines(
  source: ByteSource,
  matcher: KeyMatcher,
): Promise<{ rows: number; matches: Map<string, number> }> {
  const matches = new Map<string, number>();
  let rows = 0;
  let number = 0;
  for await (const line of lines(source, await gzipped(source))) {
    number++;
    if (line.trim() === "") continue;
    rows++;
    for (const key of keysOf(line, number, matcher, source.name))
      if (matcher.has(key)) matches.set(key, (matches.get(key) ?? 0) + 1);
  }
  return { rows, matches };
}

/** Every non-blank line of the object, streaming (the indexer's read: runtime/formats/jsonLines/objectKeys.ts). */
export async function* jsonLinesOf(source: ByteSource): AsyncGenerator<string> {
  for await (const line of lines(source, await gzipped(source))) if (line.trim() !== "") yield line;
}

/** The lookup texts of the line's keys (several when an ID column is an array; none when it holds none). */
export function keysOf(
  line: string,
  number: number,
  matcher: KeyMatcher,
  object: string | undefined,
): string[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new JsonLinesError(object, number, "not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new JsonLinesError(object, number, "not a JSON object");
  }
  let parts: string[][];
  try {
    parts = jsonRecordKeys(line, value as Record<string, unknown>, matcher.columns);
  } catch (err) {
    // JSON.parse took the line; the lossless parse did not (e.g. one key given twice, differently).
    throw new JsonLinesError(object, number, messageOf(err));
  }
  return parts.map(keyText);
}
