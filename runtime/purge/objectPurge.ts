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
import type { DataMapperFormat } from "../contracts/mappers";
import { KeyMatcher } from "../subjects/matcher";
import type { ByteSource } from "../formats/byteSource";
import { checkedFormat, LakeFormat, MapperFormat } from "../formats";
import type { ObjectScan, PurgeOptions, PurgeStats, RowMasking } from "../formats/lakeFormat";
import { writeAtomically } from "./localFiles";
import { ObjectVersion, headObject, olderVersions, versionSource } from "./s3Objects";

export type ObjectPurgeStatus = "purged" | "no-match" | "conflict";

export interface ObjectPurgeReport {
  bucket: string;
  key: string;
  status: ObjectPurgeStatus;
  /** The mapper's format, which the object's bytes were checked against. */
  format: DataMapperFormat;
  before: { etag: string; versionId?: string };
  /** The version we wrote (status "purged"). */
  after?: { etag: string; versionId?: string };
  rowsBefore: number;
  rowsAfter: number;
  rowsRemoved: number;
  /** Rows kept with their personal columns masked (a `mask` mapper: `masking` given). */
  rowsMasked: number;
  /** Older versions deleted because they (may) still hold the removed rows. */
  versionsDeleted: string[];
  bytesIn: number;
  bytesOut: number;
}

export interface ObjectPurgeRequest {
  bucket: string;
  key: string;
  /** The object's data mapper: its `format` chooses the engine; bytes of another format are refused. */
  mapper: MapperFormat;
  /**
   * Checked just before the PutObject and before each DeleteObject; throwing stops the purge there
   * (nothing more is written or deleted). Pass the object's `Lock`: `assertHeld()` throws its
   * LockLostError once the lease ran out on the holder's own clock, however long the holder was frozen.
   */
  guard?: WriteGuard;
  matcher: KeyMatcher;
  options?: PurgeOptions;
  /** Given: matching rows are masked (kept), not removed (a `mask` mapper; runtime/formats/lakeFormat.ts). */
  masking?: RowMasking;
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
  const format = req.mapper.format;
  const conflict = (stats?: PurgeStats): ObjectPurgeReport => ({
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
  const temp = await fs.promises.mkdtemp(path.join(os.tmpdir(), "lethe-purge-"));
  try {
    let purged: { stats: PurgeStats; body: () => Readable | Uint8Array; bytesOut: number };
    try {
      const lake = await checkedFormat(req.mapper, source);
      purged = await purgeVersion(source, lake, path.join(temp, "object"), req);
    } catch (err) {
      if (isConflict(err)) return conflict(); // changed while we read it
      throw err;
    }
    const { stats } = purged;

    if (stats.rowsRemoved === 0 && !stats.rowsMasked) {
      // No new version. A previous run may have written this version and crashed before cleaning up:
      // the older versions that still hold matching rows are deleted now.
      const leftovers = sweep ? await versionsHolding(s3, current, older, req) : [];
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
      if (isConflict(err)) return conflict(stats);
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
      const leftovers = await versionsHolding(s3, current, older, req);
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

/** The purged object streams through a temporary file (memory bounded as the format allows). */
async function purgeVersion(
  source: ByteSource,
  format: LakeFormat,
  tempFile: string,
  req: ObjectPurgeRequest,
) {
  const { masking } = req;
  const stats = await writeAtomically(tempFile, (sink) => {
    if (!masking) return format.purge(source, sink, req.matcher, req.options);
    // The strategy is refused at preview for a format without mask; a stale configuration lands here.
    if (!format.mask) throw new Error(`the ${format.title} format cannot mask rows (strategy mask)`);
    return format.mask(source, sink, req.matcher, masking);
  });
  return { stats, bytesOut: stats.bytesOut, body: () => fs.createReadStream(tempFile) };
}

function rows(stats?: PurgeStats) {
  return {
    rowsBefore: stats?.rowsBefore ?? 0,
    rowsAfter: stats?.rowsAfter ?? 0,
    rowsRemoved: stats?.rowsRemoved ?? 0,
    rowsMasked: stats?.rowsMasked ?? 0,
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

async function versionsHolding(
  s3: S3Client,
  current: ObjectVersion,
  versionIds: string[],
  req: ObjectPurgeRequest,
) {
  const out: string[] = [];
  for (const v of versionIds) {
    const version = await headObject(s3, current.bucket, current.key, v);
    const found = await scanObjectVersion(s3, version, req.mapper, req.matcher);
    if (found.matches.size > 0) out.push(v);
  }
  return out;
}

/** Which keys one object version holds, and in how many rows (read as its mapper's format reads it). */
export async function scanObjectVersion(
  s3: S3Client,
  version: ObjectVersion,
  mapper: MapperFormat,
  matcher: KeyMatcher,
): Promise<ObjectScan> {
  const source = versionSource(s3, version);
  return (await checkedFormat(mapper, source)).scan(source, matcher);
}

async function deleteVersions(s3: S3Client, req: ObjectPurgeRequest, versionIds: string[]): Promise<void> {
  // One by one: DeleteObjects needs a Content-MD5/checksum some emulators reject, and objects have few
  // versions; and the guard is asked before each delete.
  for (const VersionId of versionIds) {
    req.guard?.assertHeld();
    await s3.send(new DeleteObjectCommand({ Bucket: req.bucket, Key: req.key, VersionId }));
  }
}
