// S3 object versions, in one module: a version headed and read as a byte source (ranged GETs pinned to
// one version and its ETag, so a Parquet object is read footer first and then one row group at a time,
// never whole), a key's version list, and whether a version is gone.
import {
  DeleteMarkerEntry,
  GetObjectCommand,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  ListObjectVersionsCommand,
  ObjectVersion as ObjectVersionEntry,
  S3Client,
} from "@aws-sdk/client-s3";
import type { ByteSource } from "../formats/byteSource";
import { checkReadRange, shortRead } from "../formats/corruptObject";

export interface ObjectVersion {
  bucket: string;
  key: string;
  etag: string;
  /**
   * The version id as S3 lists it, the literal "null" of a version written while versioning was off
   * (or suspended) included: S3 takes it back as `VersionId` on every read, head, copy, tag and delete.
   * Undefined only when S3 named no version (an unversioned bucket: the ETag alone pins the object).
   */
  versionId?: string;
  size: number;
  head: HeadObjectCommandOutput;
}

/** One version of `key` (the current one without `versionId`), pinned by its id and ETag for reading. */
export async function headObject(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<ObjectVersion> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  // The version asked for is the version answered; S3 emulators leave the null version's header out,
  // and reading without an id would reach the current version instead (412 on the null one's ETag).
  const id = versionId ?? (head.VersionId || undefined);
  return { bucket, key, etag: head.ETag!, versionId: id, size: head.ContentLength ?? 0, head };
}

/** Reads of this exact version: a changed object fails with 412 rather than mixing two versions. */
export function versionSource(s3: S3Client, v: ObjectVersion): ByteSource {
  const name = `s3://${v.bucket}/${v.key}${v.versionId ? ` (version ${v.versionId})` : ""}`;
  return {
    size: v.size,
    name,
    read: async (offset, length) => {
      checkReadRange(name, v.size, offset, length);
      if (length === 0) return new Uint8Array(0);
      const o = await s3.send(
        new GetObjectCommand({
          Bucket: v.bucket,
          Key: v.key,
          VersionId: v.versionId,
          IfMatch: v.etag,
          Range: `bytes=${offset}-${offset + length - 1}`,
        }),
      );
      const bytes = await o.Body!.transformToByteArray();
      if (bytes.length !== length) throw shortRead(name, offset, length, bytes.length);
      return bytes;
    },
  };
}

/**
 * The version listing of exactly `key` (not of keys it prefixes), page by page in S3's order: each
 * page's object versions and delete markers, newest first within each.
 */
export async function* keyVersionPages(
  s3: S3Client,
  bucket: string,
  key: string,
): AsyncGenerator<{ versions: ObjectVersionEntry[]; deleteMarkers: DeleteMarkerEntry[] }> {
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
    const ofKey = <T extends { Key?: string; VersionId?: string }>(entries: T[] | undefined) =>
      (entries ?? []).filter((v) => v.Key === key && v.VersionId);
    yield { versions: ofKey(page.Versions), deleteMarkers: ofKey(page.DeleteMarkers) };
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
}

// The version list of one key, as S3 has it now: every object version (the `null` version of an
// object written before versioning included) and every delete marker, newest first. The purge works
// from this list rather than from ETags, so identical bytes and copies are seen as the versions they are.
export interface ListedVersion {
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
}

export interface VersionList {
  /** Newest first, object versions and delete markers together. */
  all: ListedVersion[];
  /** The current entry (a delete marker hides nothing from the purge). */
  latest?: ListedVersion;
}

export async function listKeyVersions(s3: S3Client, bucket: string, key: string): Promise<VersionList> {
  const all: (ListedVersion & { at: number; order: number })[] = [];
  let order = 0;
  for await (const page of keyVersionPages(s3, bucket, key)) {
    const entries = [
      ...page.versions.map((v) => ({ ...v, deleteMarker: false })),
      ...page.deleteMarkers.map((v) => ({ ...v, deleteMarker: true })),
    ];
    for (const v of entries) {
      all.push({
        versionId: v.VersionId!,
        isLatest: v.IsLatest === true,
        deleteMarker: v.deleteMarker,
        at: v.LastModified?.getTime() ?? 0,
        order: order++,
      });
    }
  }
  all.sort((a, b) => Number(b.isLatest) - Number(a.isLatest) || b.at - a.at || a.order - b.order);
  const out = all.map(({ versionId, isLatest, deleteMarker }) => ({ versionId, isLatest, deleteMarker }));
  return { all: out, latest: out.find((v) => v.isLatest) };
}

/**
 * Whether a read failed because the version (or the key) is no longer there: deleted since it was
 * listed, by another batch's purge or a lifecycle rule. A version that is gone holds nothing.
 */
export function versionGone(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    e?.name === "NoSuchKey" ||
    e?.name === "NoSuchVersion" ||
    e?.name === "NotFound" ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/** Version ids (not delete markers) of `key` listed after `versionId`, i.e. older than it. */
export async function olderVersions(
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
