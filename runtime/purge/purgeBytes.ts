// Purges an object held in memory, as its data mapper's format: bytes and a matcher in, new bytes and
// statistics out (benchmarks and tests; the functions stream S3 versions through runtime/purge/objectPurge.ts).
import type { DataMapperFormat } from "../contracts/mappers";
import { bufferSource } from "../formats/byteSource";
import { checkedFormat, MapperFormat } from "../formats";
import type { PurgeOptions, PurgeStats } from "../formats/lakeFormat";
import { KeyMatcher } from "../subjects/matcher";

export async function purgeBytes(
  input: Uint8Array,
  mapper: MapperFormat,
  matcher: KeyMatcher,
  options?: PurgeOptions,
): Promise<{ format: DataMapperFormat; bytes: Uint8Array; stats: PurgeStats }> {
  const source = bufferSource(input);
  const format = await checkedFormat(mapper, source);
  const parts: Uint8Array[] = [];
  const stats = await format.purge(source, { write: async (b) => void parts.push(b) }, matcher, options);
  return { format: format.name, bytes: Buffer.concat(parts), stats };
}
