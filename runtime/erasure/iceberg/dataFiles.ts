// The table's Parquet data files, read and rewritten by Lethe's own Parquet engine
// (runtime/formats/parquet/): a scan finds which files hold a subject's rows, and a purge writes each
// such file anew without them (its footer statistics recomputed by the engine), every other row kept.
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ByteSource } from "../../formats/byteSource";
import type { PurgeOptions, PurgeStats } from "../../formats/lakeFormat";
import { parquet } from "../../formats/parquet";
import { headObject, versionGone, versionSource } from "../../purge/s3Objects";
import type { KeyMatcher } from "../../subjects/matcher";
import { parquetColumnFigures, type ColumnFigures } from "./fileStats";
import { splitS3Path } from "./s3Files";

/** Counts the bytes read through a source (the cost figures). */
function counted(source: ByteSource, count: { bytes: number }): ByteSource {
  return {
    ...source,
    read: async (offset, length) => {
      count.bytes += length;
      return source.read(offset, length);
    },
  };
}

/** Rows of the data file matching the subjects (0 when none; undefined when the file is gone). */
export async function matchingRows(
  s3: S3Client,
  path: string,
  matcher: KeyMatcher,
  count: { bytes: number },
): Promise<number | undefined> {
  const { bucket, key } = splitS3Path(path);
  let version;
  try {
    version = await headObject(s3, bucket, key);
  } catch (err) {
    if (versionGone(err)) return undefined;
    throw err;
  }
  const scan = await parquet.scan(counted(versionSource(s3, version), count), matcher);
  return [...scan.matches.values()].reduce((a, b) => a + b, 0);
}

/** Writes `path` without the subjects' rows to `newPath` (a new key: the old file stays as it is). */
export async function rewriteDataFile(
  s3: S3Client,
  path: string,
  newPath: string,
  matcher: KeyMatcher,
  count: { bytes: number },
  options?: PurgeOptions,
): Promise<PurgeStats & { columns?: ColumnFigures }> {
  const { bucket, key } = splitS3Path(path);
  const source = versionSource(s3, await headObject(s3, bucket, key));
  const chunks: Uint8Array[] = [];
  const stats = await parquet.purge(
    counted(source, count),
    { write: async (bytes) => void chunks.push(Uint8Array.from(bytes)) },
    matcher,
    options,
  );
  if (stats.rowsAfter === 0) return stats;
  const body = Buffer.concat(chunks);
  const out = splitS3Path(newPath);
  await s3.send(new PutObjectCommand({ Bucket: out.bucket, Key: out.key, Body: body, IfNoneMatch: "*" }));
  return { ...stats, columns: await parquetColumnFigures(body) };
}
