// Which of a mapper's objects were written since a time, whatever partition they are in: what verify's
// re-find reads. A partition's name says when its data arrived, not when its object was written:
// Firehose names a partition by the arrival of the oldest record in its buffer (records in flight across
// midnight land in yesterday's partition after find ran), and a copy or a late writer can put an object
// into any old partition. An object's S3 write time (LastModified) says what landed since find began.
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../../contracts/mappers";

/**
 * How long before `since` an object counts as written since: S3 stamps a multipart upload with the
 * time it was started, so an upload under way when find listed the lake completes "before" find began.
 */
export const uploadMarginMs = 60 * 60_000;

export interface MapperObject {
  key: string;
  lastModified: Date;
}

/** The current objects under the mapper's location (no folder markers, no empty objects). */
export async function listMapperObjects(s3: S3Client, mapper: DataMapper): Promise<MapperObject[]> {
  const { bucket, prefix } = parseS3Location(mapper.location);
  const out: MapperObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key && !o.Key.endsWith("/") && (o.Size ?? 0) > 0)
        out.push({ key: o.Key, lastModified: o.LastModified ?? new Date() });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * The keys of the mapper's objects written at or after `since` (less the upload margin), but for those
 * in `checked` (`s3://bucket/key`: objects whose every version the caller reads itself).
 */
export async function keysWrittenSince(
  s3: S3Client,
  mapper: DataMapper,
  since: Date,
  checked: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const { bucket } = parseS3Location(mapper.location);
  const from = since.getTime() - uploadMarginMs;
  return (await listMapperObjects(s3, mapper))
    .filter((o) => o.lastModified.getTime() >= from && !checked.has(`s3://${bucket}/${o.key}`))
    .map((o) => o.key);
}

/** The value of the `<column>=<value>/` segment of a key, or undefined when the key has none. */
export function partitionValue(key: string, column: string): string | undefined {
  const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`(?:^|/)${escaped}=([^/]+)/`).exec(key);
  return m ? decodeURIComponent(m[1]) : undefined;
}
