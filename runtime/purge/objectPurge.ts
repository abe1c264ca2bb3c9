// Object-level purge in S3: read the current version (ETag + VersionId), purge its bytes, write the
// result back only if the object is still the one we read (If-Match), keeping its headers, metadata,
// tags, storage class and KMS key; then delete the versions that were older than ours when we read.
// Every step is safe to repeat: a re-run after a crash anywhere converges on the same end state.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectCommandOutput,
  GetObjectTaggingCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { KeyMatcher } from "./matcher";
import { PurgeOptions, PurgeStats } from "./parquetPurge";
import { ObjectFormat, detectFormat, purgeBytes } from "./purgeBytes";
import { scanParquet } from "./parquetPurge";
import { scanJsonLines } from "./jsonLines";
import { bufferSource } from "./parquetFormat";

export type ObjectPurgeStatus = "purged" | "no-match" | "conflict";

export interface ObjectPurgeReport {
  bucket: string;
  key: string;
  status: ObjectPurgeStatus;
  format: ObjectFormat;
  before: { etag: string; versionId?: string };
  /** The version we wrote (status "purged"). */
  after?: { etag: string; versionId?: string };
  rowsBefore: number;
  rowsAfter: number;
  rowsRemoved: number;
  /** Older versions deleted because they (may) still hold the removed rows. */
  versionsDeleted: string[];
  bytesIn: number;
  bytesOut: number;
}

export interface ObjectPurgeRequest {
  bucket: string;
  key: string;
  matcher: KeyMatcher;
  options?: PurgeOptions;
}

/** Test seam for crash injection: called after our new version is written, before old ones go. */
export interface ObjectPurgeHooks {
  /** Called after reading, before the conditional write (tests use it to race a concurrent writer). */
  beforeWrite?: () => Promise<void>;
  afterWrite?: (written: { etag: string; versionId?: string }) => Promise<void>;
}

export async function purgeObject(
  s3: S3Client,
  req: ObjectPurgeRequest,
  hooks: ObjectPurgeHooks = {},
): Promise<ObjectPurgeReport> {
  const { bucket, key } = req;
  const current = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const etag = current.ETag!;
  const versionId = current.VersionId && current.VersionId !== "null" ? current.VersionId : undefined;
  const input = await current.Body!.transformToByteArray();
  // Versions older than the one we read, as they were when we read it (newer ones are never touched).
  const older = versionId ? await olderVersions(s3, bucket, key, versionId) : [];
  const { format, bytes, stats } = await purgeBytes(input, req.matcher, req.options);
  const base = { bucket, key, format, before: { etag, versionId }, bytesIn: input.length };

  if (stats.rowsRemoved === 0) {
    // No new version. A previous run may have written this version and crashed before cleaning up:
    // the older versions that still hold matching rows are deleted now.
    const leftovers = await versionsHolding(s3, bucket, key, older, req.matcher);
    await deleteVersions(s3, bucket, key, leftovers);
    return { ...base, status: "no-match", ...rows(stats), versionsDeleted: leftovers, bytesOut: 0 };
  }

  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  await hooks.beforeWrite?.();
  let written;
  try {
    written = await s3.send(
      new PutObjectCommand({
        ...preservedHeaders(current),
        Bucket: bucket,
        Key: key,
        Body: bytes,
        IfMatch: etag,
        Tagging: tags.TagSet?.length
          ? new URLSearchParams(
              tags.TagSet.map((t): [string, string] => [t.Key ?? "", t.Value ?? ""]),
            ).toString()
          : undefined,
      }),
    );
  } catch (err) {
    if (isConflict(err))
      return { ...base, status: "conflict", ...rows(stats), versionsDeleted: [], bytesOut: 0 };
    throw err;
  }
  const after = { etag: written.ETag!, versionId: written.VersionId };
  await hooks.afterWrite?.(after);
  // The version we read held the rows; older ones are deleted when they hold matching rows too, so a
  // run and a crashed-then-repeated run end with the same versions (history without matches stays).
  const toDelete = versionId
    ? [versionId, ...(await versionsHolding(s3, bucket, key, older, req.matcher))]
    : [];
  await deleteVersions(s3, bucket, key, toDelete);
  return {
    ...base,
    status: "purged",
    after,
    ...rows(stats),
    versionsDeleted: toDelete,
    bytesOut: bytes.length,
  };
}

function rows(stats: PurgeStats) {
  return { rowsBefore: stats.rowsBefore, rowsAfter: stats.rowsAfter, rowsRemoved: stats.rowsRemoved };
}

/** Everything S3 lets us carry over from the version we read to the one we write. */
function preservedHeaders(o: GetObjectCommandOutput): Partial<PutObjectCommandInput> {
  return {
    ContentType: o.ContentType,
    CacheControl: o.CacheControl,
    ContentEncoding: o.ContentEncoding,
    ContentDisposition: o.ContentDisposition,
    ContentLanguage: o.ContentLanguage,
    Expires: o.Expires,
    Metadata: o.Metadata,
    StorageClass: o.StorageClass,
    ServerSideEncryption: o.ServerSideEncryption,
    SSEKMSKeyId: o.ServerSideEncryption === "aws:kms" ? o.SSEKMSKeyId : undefined,
    BucketKeyEnabled: o.BucketKeyEnabled,
  };
}

function isConflict(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  const status = err.$metadata?.httpStatusCode;
  return (
    status === 412 ||
    status === 409 ||
    err.name === "PreconditionFailed" ||
    err.name === "ConditionalRequestConflict"
  );
}

/** Version ids (not delete markers) of `key` listed after `versionId`, i.e. older than it. */
async function olderVersions(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string,
): Promise<string[]> {
  const out: string[] = [];
  let seenOurs = false;
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: key,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
      }),
    );
    for (const v of page.Versions ?? []) {
      if (v.Key !== key || !v.VersionId) continue;
      if (seenOurs) out.push(v.VersionId);
      else if (v.VersionId === versionId) seenOurs = true;
    }
    if (!page.IsTruncated) return out;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
}

async function versionsHolding(
  s3: S3Client,
  bucket: string,
  key: string,
  versionIds: string[],
  matcher: KeyMatcher,
) {
  const out: string[] = [];
  for (const v of versionIds) if (await versionMatches(s3, bucket, key, v, matcher)) out.push(v);
  return out;
}

async function versionMatches(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string,
  matcher: KeyMatcher,
): Promise<boolean> {
  const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const bytes = await o.Body!.transformToByteArray();
  const found =
    detectFormat(bytes) === "parquet"
      ? await scanParquet(bufferSource(bytes), matcher)
      : await scanJsonLines(bytes, matcher);
  return found.matches.size > 0;
}

async function deleteVersions(
  s3: S3Client,
  bucket: string,
  key: string,
  versionIds: string[],
): Promise<void> {
  // One by one: DeleteObjects needs a Content-MD5/checksum some emulators reject, and objects have few versions.
  for (const VersionId of versionIds)
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId }));
}
