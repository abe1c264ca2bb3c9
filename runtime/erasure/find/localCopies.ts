// Local copies of a mapper's current objects for the embedded engine, in a cache directory laid out as
// `<cache>/<bucket>/<key>` (so hive partitions read off the path). A Parquet copy holds only what a
// find reads: the footer and the column chunks of the ID columns' top-level fields, at their original
// offsets in a sparse file; the rest stays a hole the engine never touches. A JSON Lines copy is whole.
import * as fs from "node:fs";
import * as path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../../contracts/mappers";
import { F, MAGIC, chunkRange, parseFooter } from "../../purge/parquetFormat";
import { getStructList } from "../../purge/thriftCompact";
import { headObject, versionSource, ObjectVersion } from "../../purge/s3Objects";

export interface LocalCopy {
  /** `s3://bucket/key` */
  s3Path: string;
  file: string;
  /** Bytes of the object the copy needed (footer + ID chunks, or the whole object). */
  bytesNeeded: number;
  /** Bytes fetched from S3 now (0 when the cached copy of this ETag was reused). */
  bytesFetched: number;
}

interface CopyMeta {
  etag: string;
  columns: string[];
  bytesNeeded: number;
}

export interface CopyOptions {
  cacheDir: string;
  /** Keep only keys whose `<column>=<value>/` segment is >= the value (partition pruning). */
  prune?: { column: string; from: string };
  concurrency?: number;
}

/** The keys under the mapper's location (current objects), pruned by partition when asked. */
export async function listMapperKeys(
  s3: S3Client,
  mapper: DataMapper,
  prune?: CopyOptions["prune"],
): Promise<string[]> {
  const { bucket, prefix } = parseS3Location(mapper.location);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key && !o.Key.endsWith("/") && (o.Size ?? 0) > 0) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (!prune) return keys;
  const segment = new RegExp(`(?:^|/)${prune.column}=([^/]+)/`);
  return keys.filter((k) => {
    const m = segment.exec(k);
    return !m || decodeURIComponent(m[1]) >= prune.from;
  });
}

export async function copyMapperObjects(
  s3: S3Client,
  mapper: DataMapper,
  options: CopyOptions,
): Promise<LocalCopy[]> {
  const { bucket } = parseS3Location(mapper.location);
  const keys = await listMapperKeys(s3, mapper, options.prune);
  const out: LocalCopy[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      out[i] = await copyObject(s3, mapper, await headObject(s3, bucket, keys[i]), options.cacheDir);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, keys.length) }, worker));
  return out;
}

async function copyObject(
  s3: S3Client,
  mapper: DataMapper,
  v: ObjectVersion,
  cacheDir: string,
): Promise<LocalCopy> {
  const file = path.join(cacheDir, v.bucket, ...v.key.split("/"));
  const metaFile = path.join(cacheDir, ".copies", v.bucket, `${v.key}.json`);
  const s3Path = `s3://${v.bucket}/${v.key}`;
  const columns =
    mapper.format === "parquet" ? [...new Set(mapper.idColumns.map((c) => c.split(".")[0]))].sort() : [];
  const cached = readMeta(metaFile);
  if (cached && cached.etag === v.etag && cached.columns.join() === columns.join() && fs.existsSync(file)) {
    return { s3Path, file, bytesNeeded: cached.bytesNeeded, bytesFetched: 0 };
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.mkdirSync(path.dirname(metaFile), { recursive: true });
  const bytes =
    mapper.format === "parquet"
      ? await sparseParquetCopy(s3, v, columns, file)
      : await wholeCopy(s3, v, file);
  fs.writeFileSync(
    metaFile,
    JSON.stringify({ etag: v.etag, columns, bytesNeeded: bytes } satisfies CopyMeta),
  );
  return { s3Path, file, bytesNeeded: bytes, bytesFetched: bytes };
}

function readMeta(file: string): CopyMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as CopyMeta;
  } catch {
    return undefined;
  }
}

async function wholeCopy(s3: S3Client, v: ObjectVersion, file: string): Promise<number> {
  const bytes = await versionSource(s3, v).read(0, v.size);
  fs.writeFileSync(file, bytes);
  return bytes.length;
}

/** Footer and the chunks of `topLevel` fields at their offsets; returns the bytes read. */
async function sparseParquetCopy(
  s3: S3Client,
  v: ObjectVersion,
  topLevel: string[],
  file: string,
): Promise<number> {
  const source = versionSource(s3, v);
  const tail = await source.read(v.size - 8, 8);
  const footerLength = new DataView(tail.buffer, tail.byteOffset, 4).getUint32(0, true);
  const footerStart = v.size - 8 - footerLength;
  const footerBytes = await source.read(footerStart, footerLength);
  const footer = parseFooter(footerBytes);
  const wanted = new Set(topLevel.map((c) => c.toLowerCase()));
  const ranges: { start: number; length: number }[] = [];
  for (const rowGroup of footer.rowGroups) {
    getStructList(rowGroup, F.rowGroup.columns).forEach((chunk, i) => {
      const leaf = footer.leaves[i];
      if (leaf && wanted.has(leaf.pathParts[0].toLowerCase())) ranges.push(chunkRange(chunk));
    });
  }
  const fd = fs.openSync(`${file}.part`, "w");
  let read = footerLength + 8 + MAGIC.length;
  try {
    fs.ftruncateSync(fd, v.size);
    fs.writeSync(fd, MAGIC, 0, MAGIC.length, 0);
    fs.writeSync(fd, footerBytes, 0, footerBytes.length, footerStart);
    fs.writeSync(fd, tail, 0, tail.length, v.size - 8);
    for (const r of mergeRanges(ranges)) {
      const bytes = await source.read(r.start, r.length);
      fs.writeSync(fd, bytes, 0, bytes.length, r.start);
      read += bytes.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(`${file}.part`, file);
  return read;
}

/** Adjacent chunks (a struct's leaves, several ID columns) become one ranged GET. */
function mergeRanges(ranges: { start: number; length: number }[]): { start: number; length: number }[] {
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.start - b.start);
  const out: { start: number; length: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.start + last.length) {
      last.length = Math.max(last.length, r.start + r.length - last.start);
    } else out.push({ ...r });
  }
  return out;
}
