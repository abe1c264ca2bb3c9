// One interface for every supported object format: bytes and a matcher in, new bytes and statistics out.
import { bufferSource } from "./parquetFormat";
import { PurgeOptions, PurgeStats, purgeParquet } from "./parquetPurge";
import { isGzip, purgeJsonLines } from "./jsonLines";
import { KeyMatcher } from "./matcher";

export type ObjectFormat = "parquet" | "jsonl" | "jsonl.gz";

export class UnsupportedFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedFormatError";
  }
}

/** Parquet by its magic, gzip by its magic, otherwise JSON Lines when it starts with '{'. */
export function detectFormat(bytes: Uint8Array): ObjectFormat {
  const magic = Buffer.from(bytes.subarray(0, 4)).toString("latin1");
  if (magic === "PAR1") return "parquet";
  if (isGzip(bytes)) return "jsonl.gz";
  const first = Buffer.from(bytes.subarray(0, 64)).toString("utf8").trimStart()[0];
  if (first === "{" || bytes.length === 0) return "jsonl";
  throw new UnsupportedFormatError("not Parquet, JSON Lines or gzip-compressed JSON Lines");
}

export async function purgeBytes(
  input: Uint8Array,
  matcher: KeyMatcher,
  options?: PurgeOptions,
): Promise<{ format: ObjectFormat; bytes: Uint8Array; stats: PurgeStats }> {
  const format = detectFormat(input);
  if (format !== "parquet") return { format, ...(await purgeJsonLines(input, matcher)) };
  const parts: Uint8Array[] = [];
  const stats = await purgeParquet(
    bufferSource(input),
    { write: async (b) => void parts.push(b) },
    matcher,
    options,
  );
  return { format, bytes: Buffer.concat(parts), stats };
}
