// Where the opt-out filter lives: generation objects `<prefix>generation-<n>.bloom` in the lake's
// KMS-encrypted bucket, plus a small pointer object `<prefix>current.json` naming the newest one.
// Readers fetch the pointer first, so a half-written generation is never read as current.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { BloomFilter } from "./bloomFilter";

export interface FilterLocation {
  bucket: string;
  /** Key prefix ending in "/", e.g. "ingest-guard/opt-out-filter/". */
  prefix: string;
  /** The customer-managed key uploads are encrypted with (the bucket default when absent). */
  kmsKeyArn?: string;
}

export const POINTER_FORMAT_VERSION = 1;

export interface FilterPointer {
  formatVersion: number;
  generation: number;
  /** Object key of that generation's filter. */
  key: string;
  /** SHA-256 of the ID set and the target rate the filter was built from (hex). */
  digest: string;
  itemCount: number;
  bitCount: number;
  hashCount: number;
  falsePositiveRate: number;
  bytes: number;
  builtAt: string;
}

export function generationKey(location: FilterLocation, generation: number): string {
  return `${location.prefix}generation-${String(generation).padStart(10, "0")}.bloom`;
}

export function pointerKey(location: FilterLocation): string {
  return `${location.prefix}current.json`;
}

/** The pointer, or undefined when no filter was ever published. A malformed pointer throws. */
export async function readPointer(
  s3: S3Client,
  location: FilterLocation,
): Promise<FilterPointer | undefined> {
  const body = await getObject(s3, location.bucket, pointerKey(location));
  if (body === undefined) return undefined;
  const where = `s3://${location.bucket}/${pointerKey(location)}`;
  let p: FilterPointer;
  try {
    p = JSON.parse(body.toString("utf8"));
  } catch {
    throw new Error(`${where}: filter pointer is not JSON`);
  }
  if (
    p?.formatVersion !== POINTER_FORMAT_VERSION ||
    !Number.isInteger(p.generation) ||
    p.generation < 1 ||
    typeof p.key !== "string" ||
    typeof p.digest !== "string"
  ) {
    throw new Error(`${where}: not a filter pointer of format version ${POINTER_FORMAT_VERSION}`);
  }
  return p;
}

/** Downloads and verifies the filter the pointer names. */
export async function readFilter(
  s3: S3Client,
  location: FilterLocation,
  pointer: FilterPointer,
): Promise<BloomFilter> {
  const where = `s3://${location.bucket}/${pointer.key}`;
  const body = await getObject(s3, location.bucket, pointer.key);
  if (body === undefined) throw new Error(`${where}: filter generation ${pointer.generation} is missing`);
  return BloomFilter.deserialize(body, where);
}

/** Uploads a generation's filter, then the pointer naming it (in that order). */
export async function publishFilter(
  s3: S3Client,
  location: FilterLocation,
  filter: BloomFilter,
  pointer: Omit<FilterPointer, "key" | "formatVersion" | "bytes">,
): Promise<FilterPointer> {
  const bytes = filter.serialize();
  const full: FilterPointer = {
    formatVersion: POINTER_FORMAT_VERSION,
    ...pointer,
    key: generationKey(location, pointer.generation),
    bytes: bytes.length,
  };
  await putObject(s3, location, full.key, bytes, "application/octet-stream");
  await putObject(
    s3,
    location,
    pointerKey(location),
    Buffer.from(JSON.stringify(full, null, 2)),
    "application/json",
  );
  return full;
}

/** Removes a superseded generation (the bucket's versioning and lifecycle expire its old versions). */
export async function deleteGeneration(
  s3: S3Client,
  location: FilterLocation,
  generation: number,
): Promise<void> {
  if (generation < 1) return;
  await s3.send(
    new DeleteObjectCommand({ Bucket: location.bucket, Key: generationKey(location, generation) }),
  );
}

async function putObject(
  s3: S3Client,
  location: FilterLocation,
  key: string,
  body: Buffer,
  contentType: string,
) {
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ServerSideEncryption: "aws:kms",
      ...(location.kmsKeyArn ? { SSEKMSKeyId: location.kmsKeyArn, BucketKeyEnabled: true } : {}),
    }),
  );
}

async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === "NoSuchKey" || name === "NotFound") return undefined;
    // S3 answers 403, not 404, for a missing key unless ListBucket is granted for it; our roles may
    // list only the filter prefix, so ask that way before calling it a permission problem.
    if (name === "AccessDenied" && !(await exists(s3, bucket, key))) return undefined;
    throw err;
  }
}

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return (out.Contents ?? []).some((o) => o.Key === key);
}
