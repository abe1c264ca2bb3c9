// The table's files on S3 by their `s3://bucket/key` paths, as Iceberg metadata names them: read whole
// (metadata JSON, Avro manifests), written once (new files never overwrite), and deleted with every
// S3 version of the key, so no older version of a replaced file keeps a subject's rows.
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { listKeyVersions, versionGone } from "../../purge/s3Objects";

export function splitS3Path(path: string): { bucket: string; key: string } {
  const m = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(path);
  if (!m) throw new Error(`not an s3:// path: ${path}`);
  return { bucket: m[1], key: m[2] };
}

/** Whether `path` is under the table's `location` (s3:// and s3a:// alike, a trailing slash or not). */
export function underLocation(path: string, location: string): boolean {
  const p = splitS3Path(path);
  const l = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!l) return false;
  const prefix = l[2] === "" || l[2].endsWith("/") ? l[2] : `${l[2]}/`;
  return p.bucket === l[1] && p.key.startsWith(prefix);
}

export async function readS3File(s3: S3Client, path: string): Promise<Buffer> {
  const { bucket, key } = splitS3Path(path);
  const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await o.Body!.transformToByteArray());
}

/** Whether the file's current version exists (a re-run finds some already deleted). */
export async function readS3FileIfPresent(s3: S3Client, path: string): Promise<Buffer | undefined> {
  try {
    return await readS3File(s3, path);
  } catch (err) {
    if (versionGone(err)) return undefined;
    throw err;
  }
}

/** Writes a new file; refuses to replace one that exists (Iceberg files are immutable). */
export async function writeNewS3File(s3: S3Client, path: string, body: Uint8Array): Promise<void> {
  const { bucket, key } = splitS3Path(path);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: "*" }));
}

/** Deletes every version and delete marker of the key; returns how many were deleted. */
export async function deleteEveryVersion(s3: S3Client, path: string): Promise<number> {
  const { bucket, key } = splitS3Path(path);
  const { all } = await listKeyVersions(s3, bucket, key);
  for (const v of all)
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v.versionId }));
  return all.length;
}
