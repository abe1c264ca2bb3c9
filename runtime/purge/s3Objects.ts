// S3 object versions as byte sources: ranged GETs pinned to one version (and its ETag), so a Parquet
// object is read footer first and then one row group at a time, never whole.
import {
  DeleteMarkerEntry,
  GetObjectCommand,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  ListObjectVersionsCommand,
  ObjectVersion as ObjectVersionEntry,
  S3Client,
} from "@aws-sdk/client-s3";
import { ByteSource } from "./parquetFormat";
import { checkReadRange, shortRead } from "./corruptObject";

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
