// Local copies of a mapper's current objects for the embedded engine, in a cache directory laid out as
// `<cache>/<bucket>/<key>.<tag>` (so hive partitions read off the path), the tag naming the version
// (ETag) and the columns copied. The mapper's format makes the copy (its `localFind`, runtime/formats/):
// a Parquet copy holds only what a find reads (runtime/formats/parquet/localCopy.ts), a JSON Lines copy
// is whole.
//
// Finds run side by side over one cache (a local batch runs several; two batches may share objects), so
// a copy never changes once it is in place: each is written under a name of its own and renamed into
// place, and a finder reads exactly the versions it listed. Copies of a key's older versions are removed
// once unused for longer than a function runs.
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../../contracts/mappers";
import { lakeFormatOf } from "../../formats";
import { headObject, versionSource, ObjectVersion } from "../../purge/s3Objects";
import { listMapperObjects } from "./writtenSince";

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
  /** Copy only these keys (default: every current object under the mapper's location). */
  keys?: string[];
  concurrency?: number;
}

/** The keys under the mapper's location (current objects). */
export async function listMapperKeys(s3: S3Client, mapper: DataMapper): Promise<string[]> {
  return (await listMapperObjects(s3, mapper)).map((o) => o.key);
}

export async function copyMapperObjects(
  s3: S3Client,
  mapper: DataMapper,
  options: CopyOptions,
): Promise<LocalCopy[]> {
  const { bucket } = parseS3Location(mapper.location);
  const keys = options.keys ?? (await listMapperKeys(s3, mapper));
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

/** How long a copy of an older version stays after its last use: longer than a Lambda function runs. */
const unusedCopyLifetimeMs = 20 * 60_000;

/** Copies being made in this process, by file: finders side by side wait for one fetch. */
const copiesUnderWay = new Map<string, Promise<LocalCopy>>();

async function copyObject(
  s3: S3Client,
  mapper: DataMapper,
  v: ObjectVersion,
  cacheDir: string,
): Promise<LocalCopy> {
  const columns = lakeFormatOf(mapper).localFind.copiedColumns(mapper.idColumns);
  const tag = createHash("sha256")
    .update(`${v.etag}\0${columns.join("\0")}`)
    .digest("hex")
    .slice(0, 16);
  const file = `${path.join(cacheDir, v.bucket, ...v.key.split("/"))}.${tag}`;
  const underWay = copiesUnderWay.get(file);
  if (underWay) return { ...(await underWay), bytesFetched: 0 };
  const copy = reuseOrCopy(s3, mapper, v, columns, cacheDir, file).finally(() => copiesUnderWay.delete(file));
  copiesUnderWay.set(file, copy);
  return copy;
}

async function reuseOrCopy(
  s3: S3Client,
  mapper: DataMapper,
  v: ObjectVersion,
  columns: string[],
  cacheDir: string,
  file: string,
): Promise<LocalCopy> {
  const s3Path = `s3://${v.bucket}/${v.key}`;
  const metaFile = path.join(cacheDir, ".copies", `${path.relative(cacheDir, file)}.json`);
  const cached = readMeta(metaFile);
  if (cached && touch(file)) return { s3Path, file, bytesNeeded: cached.bytesNeeded, bytesFetched: 0 };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.mkdirSync(path.dirname(metaFile), { recursive: true });
  const part = `${file}.${randomUUID()}.part`;
  try {
    const bytes = await lakeFormatOf(mapper).localFind.copy(versionSource(s3, v), columns, part);
    writeAtomically(
      metaFile,
      JSON.stringify({ etag: v.etag, columns, bytesNeeded: bytes } satisfies CopyMeta),
    );
    fs.renameSync(part, file);
    removeUnusedCopies(cacheDir, file);
    return { s3Path, file, bytesNeeded: bytes, bytesFetched: bytes };
  } finally {
    fs.rmSync(part, { force: true });
  }
}

function readMeta(file: string): CopyMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as CopyMeta;
  } catch {
    return undefined;
  }
}

/** Marks a copy used now; false when it is not there. */
function touch(file: string): boolean {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
    return true;
  } catch {
    return false;
  }
}

function writeAtomically(file: string, text: string): void {
  const part = `${file}.${randomUUID()}.part`;
  fs.writeFileSync(part, text);
  fs.renameSync(part, file);
}

/** The copies of other versions of `file`'s key unused for a while, and their metadata. */
function removeUnusedCopies(cacheDir: string, file: string): void {
  const dir = path.dirname(file);
  const name = path.basename(file);
  const stem = name.slice(0, name.lastIndexOf(".") + 1);
  const olderThan = Date.now() - unusedCopyLifetimeMs;
  for (const other of fs.readdirSync(dir)) {
    if (other === name || !other.startsWith(stem) || !/^[0-9a-f]{16}$/.test(other.slice(stem.length)))
      continue;
    const otherFile = path.join(dir, other);
    try {
      if (fs.statSync(otherFile).mtimeMs > olderThan) continue;
      fs.rmSync(otherFile, { force: true });
      fs.rmSync(path.join(cacheDir, ".copies", `${path.relative(cacheDir, otherFile)}.json`), {
        force: true,
      });
    } catch {
      // Another finder removed it first.
    }
  }
}
