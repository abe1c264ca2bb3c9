// The version list of one key, as S3 has it now: every object version (the `null` version of an
// object written before versioning included) and every delete marker, newest first. The purge works
// from this list rather than from ETags, so identical bytes and copies are seen as the versions they are.
import { S3Client } from "@aws-sdk/client-s3";
import { keyVersionPages } from "../../purge/s3Objects";

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
