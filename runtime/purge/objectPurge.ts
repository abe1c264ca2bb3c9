// Object-level purge in S3: read the current version (ETag + VersionId), purge its bytes, write the
// result back only if the object is still the one we read (If-Match), keeping its headers, metadata,
// tags, storage class and KMS key; then delete the versions that were older than ours when we read.
// Every step is safe to repeat: a re-run after a crash anywhere converges on the same end state.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommandOutput,
  PutObjectCommand,
  PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { KeyMatcher } from "./matcher";
import { ByteSource } from "./parquetFormat";
import { PurgeOptions, PurgeStats, purgeParquet, scanParquet } from "./parquetPurge";
import { ObjectFormat, detectFormat } from "./purgeBytes";
import { purgeJsonLines, scanJsonLines } from "./jsonLines";
import { writeAtomically } from "./localFiles";
import { ObjectVersion, headObject, keyVersionPages, versionSource } from "./s3Objects";

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
  /**
   * Checked just before the PutObject and before each DeleteObject; throwing stops the purge there
   * (nothing more is written or deleted). Pass the object's `Lock`: `assertHeld()` throws its
   * LockLostError once the lease ran out on the holder's own clock, however long the holder was frozen.
   */
  guard?: WriteGuard;
  matcher: KeyMatcher;
  options?: PurgeOptions;
  /** Purge this version (already read by the caller) instead of the one a new HEAD finds current. */
  version?: ObjectVersion;
  /** User metadata set on the version we write, over the metadata carried over from the one we read. */
  metadata?: Record<string, string>;
  /**
   * Leave every other version alone: the caller sweeps the version list itself (runtime/erasure/forget).
   * Default false: the version read and older ones holding matches are deleted here.
   */
  keepOtherVersions?: boolean;
}

/** What a write path asks just before it writes: throws when it must not (e.g. a lost lock). */
export interface WriteGuard {
  assertHeld(): void;
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
  const current = req.version ?? (await headObject(s3, bucket, key));
  const { etag, versionId } = current;
  const sweep = !req.keepOtherVersions;
  const base = { bucket, key, before: { etag, versionId }, bytesIn: current.size };
  const conflict = (format: ObjectFormat, stats?: PurgeStats): ObjectPurgeReport => ({
    ...base,
    format,
    status: "conflict",
    ...rows(stats),
    versionsDeleted: [],
    bytesOut: 0,
  });
  // Versions older than the one we read, as they were when we read it (newer ones are never touched).
  const older = versionId && sweep ? await olderVersions(s3, bucket, key, versionId) : [];
  const source = versionSource(s3, current);
  let format: ObjectFormat = "parquet";
  const temp = await fs.promises.mkdtemp(path.join(os.tmpdir(), "lethe-purge-"));
  try {
    let purged: { stats: PurgeStats; body: () => Readable | Uint8Array; bytesOut: number };
    try {
      format = detectFormat(await source.read(0, Math.min(current.size, 64)));
      purged = await purgeVersion(source, format, path.join(temp, "object"), req);
    } catch (err) {
      if (isConflict(err)) return conflict(format); // changed while we read it
      throw err;
    }
    const { stats } = purged;

    if (stats.rowsRemoved === 0) {
      // No new version. A previous run may have written this version and crashed before cleaning up:
      // the older versions that still hold matching rows are deleted now.
      const leftovers = sweep ? await versionsHolding(s3, current, older, req.matcher) : [];
      await deleteVersions(s3, req, leftovers);
      return { ...base, format, status: "no-match", ...rows(stats), versionsDeleted: leftovers, bytesOut: 0 };
    }

    const tags = await s3.send(
      new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
    );
    await hooks.beforeWrite?.();
    let written;
    try {
      req.guard?.assertHeld();
      written = await s3.send(
        new PutObjectCommand({
          ...preservedHeaders(current.head),
          Metadata: { ...current.head.Metadata, ...req.metadata },
          Bucket: bucket,
          Key: key,
          Body: purged.body(),
          ContentLength: purged.bytesOut,
          IfMatch: etag,
          Tagging: tags.TagSet?.length
            ? new URLSearchParams(
                tags.TagSet.map((t): [string, string] => [t.Key ?? "", t.Value ?? ""]),
              ).toString()
            : undefined,
        }),
      );
    } catch (err) {
      if (isConflict(err)) return conflict(format, stats);
      throw err;
    }
    const after = { etag: written.ETag!, versionId: written.VersionId };
    await hooks.afterWrite?.(after);
    // The version we read held the rows: it goes first. Older ones go when they hold matching rows too,
    // so a run and a crashed-then-repeated run end with the same versions (history without matches stays).
    const toDelete: string[] = [];
    // Where versioning is off or suspended, the write replaced the null version in place: it is ours now.
    if (versionId && sweep && versionId !== (after.versionId ?? "null")) {
      await deleteVersions(s3, req, [versionId]);
      const leftovers = await versionsHolding(s3, current, older, req.matcher);
      await deleteVersions(s3, req, leftovers);
      toDelete.push(versionId, ...leftovers);
    }
    return {
      ...base,
      format,
      status: "purged",
      after,
      ...rows(stats),
      versionsDeleted: toDelete,
      bytesOut: purged.bytesOut,
    };
  } finally {
    await fs.promises.rm(temp, { recursive: true, force: true });
  }
}

/**
 * Parquet streams through a temporary file (memory bounded by the row groups in flight); JSON Lines
 * objects are purged in memory.
 */
async function purgeVersion(
  source: ByteSource,
  format: ObjectFormat,
  tempFile: string,
  req: ObjectPurgeRequest,
) {
  if (format === "parquet") {
    const stats = await writeAtomically(tempFile, (sink) =>
      purgeParquet(source, sink, req.matcher, req.options),
    );
    return { stats, bytesOut: stats.bytesOut, body: () => fs.createReadStream(tempFile) };
  }
  const { bytes, stats } = await purgeJsonLines(await source.read(0, source.size), req.matcher, source.name);
  return { stats, bytesOut: bytes.length, body: () => bytes };
}

function rows(stats?: PurgeStats) {
  return {
    rowsBefore: stats?.rowsBefore ?? 0,
    rowsAfter: stats?.rowsAfter ?? 0,
    rowsRemoved: stats?.rowsRemoved ?? 0,
  };
}

/** Everything S3 lets us carry over from the version we read to the one we write. */
function preservedHeaders(o: HeadObjectCommandOutput): Partial<PutObjectCommandInput> {
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
  for await (const page of keyVersionPages(s3, bucket, key)) {
    for (const v of page.versions) {
      if (seenOurs) out.push(v.VersionId!);
      else if (v.VersionId === versionId) seenOurs = true;
    }
  }
  return out;
}

async function versionsHolding(
  s3: S3Client,
  current: ObjectVersion,
  versionIds: string[],
  matcher: KeyMatcher,
) {
  const out: string[] = [];
  for (const v of versionIds) {
    const found = await scanObjectVersion(s3, await headObject(s3, current.bucket, current.key, v), matcher);
    if (found.matches.size > 0) out.push(v);
  }
  return out;
}

/** Which keys one object version holds, and in how many rows (Parquet read row group by row group). */
export async function scanObjectVersion(
  s3: S3Client,
  version: ObjectVersion,
  matcher: KeyMatcher,
): Promise<{ rows: number; matches: Map<string, number> }> {
  const source = versionSource(s3, version);
  const head = await source.read(0, Math.min(version.size, 64));
  return detectFormat(head) === "parquet"
    ? scanParquet(source, matcher)
    : scanJsonLines(await source.read(0, version.size), matcher, source.name);
}

async function deleteVersions(s3: S3Client, req: ObjectPurgeRequest, versionIds: string[]): Promise<void> {
  // One by one: DeleteObjects needs a Content-MD5/checksum some emulators reject, and objects have few
  // versions; and the guard is asked before each delete.
  for (const VersionId of versionIds) {
    req.guard?.assertHeld();
    await s3.send(new DeleteObjectCommand({ Bucket: req.bucket, Key: req.key, VersionId }));
  }
}
