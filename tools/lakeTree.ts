// Sample lakes on disk into the emulator, and the brute-force answer to "which objects hold these
// subjects" (every object read through the purge engine's scan) that finders are checked against.
import * as fs from "node:fs";
import * as path from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../runtime/contracts/mappers";
import { keyMatcher } from "../runtime/purge/matcher";
import { headObject } from "../runtime/purge/s3Objects";
import { scanObjectVersion } from "../runtime/purge/objectPurge";
import { listMapperKeys } from "../runtime/erasure/find/localCopies";

/**
 * Uploads every file under `root` to `bucket`, keyed `keyPrefix` + its relative path; returns the keys.
 * `onUploaded` hears the count done of the total after each file.
 */
export async function uploadTree(
  s3: S3Client,
  root: string,
  bucket: string,
  keyPrefix = "",
  onUploaded?: (done: number, total: number) => void,
  concurrency = 8,
): Promise<string[]> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(root);
  files.sort();
  let next = 0;
  let done = 0;
  const keys = files.map((f) => keyPrefix + path.relative(root, f).split(path.sep).join("/"));
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < files.length) {
        const i = next++;
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: keys[i], Body: fs.readFileSync(files[i]) }),
        );
        onUploaded?.(++done, files.length);
      }
    }),
  );
  return keys;
}

export interface BruteForceResult {
  paths: string[];
  /** Bytes the scan read (every row group of every Parquet object, every JSON Lines object whole). */
  bytesRead: number;
  /** Bytes of every object scanned. */
  lakeBytes: number;
}

/** Reads every current object of the mapper and keeps those holding at least one of the keys. */
export async function bruteForceFind(
  s3: S3Client,
  mapper: DataMapper,
  keys: readonly (readonly string[])[],
): Promise<BruteForceResult> {
  const { bucket } = parseS3Location(mapper.location);
  const matcher = keyMatcher(mapper.idColumns, keys);
  const paths: string[] = [];
  let lakeBytes = 0;
  for (const key of await listMapperKeys(s3, mapper)) {
    const version = await headObject(s3, bucket, key);
    lakeBytes += version.size;
    const found = await scanObjectVersion(s3, version, matcher);
    if (found.matches.size > 0) paths.push(`s3://${bucket}/${key}`);
  }
  return { paths: paths.sort(), bytesRead: lakeBytes, lakeBytes };
}
