// The lock's fencing token, recorded on every version Lethe writes, so a purge holding an older grant
// (one paused past its lease) can tell that a newer holder has written and refuse to write over it.
import type { HeadObjectCommandOutput } from "@aws-sdk/client-s3";

/** User metadata key (S3 returns it as `x-amz-meta-lethe-fencing-token`). */
export const fencingTokenMetadataKey = "lethe-fencing-token";
/** The batch whose purge wrote the version (for operators reading an object's history). */
export const purgedByBatchMetadataKey = "lethe-purged-by-batch";

/** The token a version records, 0 for versions Lethe did not write (or a value that is not a number). */
export function recordedFencingToken(head: Pick<HeadObjectCommandOutput, "Metadata">): number {
  const raw = head.Metadata?.[fencingTokenMetadataKey];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

export function fencingMetadata(token: number, batchId: string): Record<string, string> {
  return { [fencingTokenMetadataKey]: String(token), [purgedByBatchMetadataKey]: batchId };
}
