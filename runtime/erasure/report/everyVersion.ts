// Deleting an S3 object for good: every version and every delete marker of a key (or of every key
// under a prefix), then a fresh listing to prove none is left. A plain DELETE on a versioned bucket
// only hides the object behind a marker; the raw IDs would still be there.
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";

export type S3Target = { bucket: string; key: string } | { bucket: string; prefix: string };

interface VersionRef {
  Key: string;
  VersionId: string;
}

async function listVersions(s3: S3Client, target: S3Target): Promise<VersionRef[]> {
  const prefix = "key" in target ? target.key : target.prefix;
  const out: VersionRef[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: prefix, KeyMarker, VersionIdMarker }),
    );
    for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
      // A key's listing also holds the keys it prefixes (`ids.jsonl` and `ids.jsonl.bak`).
      if (!v.Key || !v.VersionId || ("key" in target && v.Key !== target.key)) continue;
      out.push({ Key: v.Key, VersionId: v.VersionId });
    }
    if (!page.IsTruncated) return out;
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
}

/** Deletes every version and delete marker; returns how many there were. Throws if any survives. */
export async function deleteEveryVersion(s3: S3Client, target: S3Target): Promise<number> {
  const versions = await listVersions(s3, target);
  for (let i = 0; i < versions.length; i += 1000) {
    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket: target.bucket,
        Delete: { Objects: versions.slice(i, i + 1000), Quiet: true },
      }),
    );
    const failed = out.Errors ?? [];
    if (failed.length > 0) {
      const e = failed[0];
      throw new Error(
        `cannot delete s3://${target.bucket}/${e.Key} version ${e.VersionId}: ${e.Code} ${e.Message}` +
          (failed.length > 1 ? ` (and ${failed.length - 1} more)` : ""),
      );
    }
  }
  const left = await listVersions(s3, target);
  if (left.length > 0) {
    throw new Error(
      `s3://${target.bucket}/${left[0].Key}: ${left.length} version(s) still there after deleting them`,
    );
  }
  return versions.length;
}
