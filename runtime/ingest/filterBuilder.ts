// Builds the opt-out filter from the registry and publishes it as a new generation, unless the
// registry (and the target rate) are unchanged since the newest generation: then nothing is written.
// The change check compares keyed digests: an unkeyed digest of a one-ID registry names that ID to
// anyone who hashes candidates.
import { S3Client } from "@aws-sdk/client-s3";
import { subjectHashPrefix, type SubjectHasher } from "../subjects/subjectHash";
import { BloomFilter } from "./bloomFilter";
import { deleteGeneration, FilterLocation, publishFilter, readPointer } from "./filterStore";

export interface IdSource {
  allIds(): Promise<string[]>;
}

export interface BuildFilterOptions {
  falsePositiveRate: number;
  /** The stack's keyed hasher: the ID-set digest in the pointer and the reply is keyed with it. */
  hasher: SubjectHasher;
  /** Publish a new generation even when nothing changed. */
  force?: boolean;
  now?: Date;
}

export interface BuildFilterResult {
  /** True when the registry had not changed and nothing was uploaded. */
  skipped: boolean;
  generation: number;
  key: string;
  itemCount: number;
  bitCount: number;
  hashCount: number;
  bytes: number;
  falsePositiveRate: number;
  /** The keyed ID-set digest's prefix and first 16 hex digits (identifies the content without revealing IDs). */
  digest: string;
  durationMs: number;
}

/** Keyed digest over the target rate and the ID set: independent of scan order. */
export function idSetDigest(
  hasher: SubjectHasher,
  ids: readonly string[],
  falsePositiveRate: number,
): string {
  return hasher.setDigest(`lethe-opt-out-filter fpr=${falsePositiveRate}`, ids);
}

export async function buildOptOutFilter(
  registry: IdSource,
  s3: S3Client,
  location: FilterLocation,
  options: BuildFilterOptions,
): Promise<BuildFilterResult> {
  const started = Date.now();
  const ids = [...new Set(await registry.allIds())];
  const digest = idSetDigest(options.hasher, ids, options.falsePositiveRate);
  const current = await readPointer(s3, location);
  if (current && current.digest === digest && !options.force) {
    return {
      skipped: true,
      generation: current.generation,
      key: current.key,
      itemCount: current.itemCount,
      bitCount: current.bitCount,
      hashCount: current.hashCount,
      bytes: current.bytes,
      falsePositiveRate: current.falsePositiveRate,
      digest: digest.slice(0, subjectHashPrefix.length + 16),
      durationMs: Date.now() - started,
    };
  }
  const filter = BloomFilter.from(ids, options.falsePositiveRate);
  const generation = (current?.generation ?? 0) + 1;
  const pointer = await publishFilter(s3, location, filter, {
    generation,
    digest,
    itemCount: filter.itemCount,
    bitCount: filter.bitCount,
    hashCount: filter.hashCount,
    falsePositiveRate: options.falsePositiveRate,
    builtAt: (options.now ?? new Date()).toISOString(),
  });
  // Keep the previous generation for readers that fetched the old pointer a moment ago.
  await deleteGeneration(s3, location, generation - 2);
  return {
    skipped: false,
    generation,
    key: pointer.key,
    itemCount: pointer.itemCount,
    bitCount: pointer.bitCount,
    hashCount: pointer.hashCount,
    bytes: pointer.bytes,
    falsePositiveRate: pointer.falsePositiveRate,
    digest: digest.slice(0, subjectHashPrefix.length + 16),
    durationMs: Date.now() - started,
  };
}
