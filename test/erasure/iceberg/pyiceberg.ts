// The PyIceberg side of the Iceberg tests (test/formats/iceberg/iceberg_fixtures.py): tables written
// and read by an independent Iceberg implementation, its Glue catalog on the emulator; and a decoded
// grep of every S3 version of every object under a table's location.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import { readAvroFile } from "../../../runtime/erasure/iceberg/avroFiles";

const root = path.resolve(__dirname, "..", "..", "..");
const python = path.join(root, ".venv", "bin", "python");
const script = path.join(root, "test", "formats", "iceberg", "iceberg_fixtures.py");

function run(args: string[]): unknown {
  return JSON.parse(
    execFileSync(python, [script, ...args], { env: process.env, maxBuffer: 64 << 20 }).toString(),
  );
}

export function makeTable(
  database: string,
  table: string,
  bucket: string,
  partitioned: boolean,
  formatVersion: 1 | 2,
): { rows: number; snapshots: number; metadataLog: number } {
  return run(["make", database, table, bucket, partitioned ? "1" : "0", String(formatVersion)]) as never;
}

export function appendRows(database: string, table: string, first: number, n: number): void {
  run(["append", database, table, String(first), String(n)]);
}

export function tagFirstSnapshot(database: string, table: string, tag: string): void {
  run(["tag", database, table, "first", tag]);
}

export interface TableRead {
  current: { snapshot: string; operation: string; ids: string[]; rows: string[] } | null;
  snapshots: Record<string, string[]>;
  history: string[];
  refs: Record<string, string>;
  /** The current snapshot's data files as PyIceberg's files table lists them. */
  files: {
    path: string;
    records: number;
    valueCounts: Record<string, number>;
    nullCounts: Record<string, number>;
  }[];
}

export function readTable(database: string, table: string): TableRead {
  return run(["read", database, table]) as TableRead;
}

/** Every version of every object under the prefix, decoded (Avro records, Parquet rows), searched for the ids. */
export async function grepEveryVersion(
  s3: S3Client,
  bucket: string,
  prefix: string,
  ids: string[],
): Promise<{ objects: number; versions: number; hits: { object: string; id: string }[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-iceberg-grep-"));
  const listing: { object: string; file: string }[] = [];
  const keys = new Set<string>();
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  try {
    for (;;) {
      const page = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const v of page.Versions ?? []) {
        keys.add(v.Key!);
        const o = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: v.Key!, VersionId: v.VersionId }),
        );
        let bytes = Buffer.from(await o.Body!.transformToByteArray());
        if (v.Key!.endsWith(".avro")) {
          const avro = await readAvroFile(bytes, v.Key!);
          const text = JSON.stringify([avro.meta, avro.records], (_k, x: unknown) =>
            typeof x === "bigint"
              ? x.toString()
              : x && typeof x === "object" && (x as { type?: string }).type === "Buffer"
                ? Buffer.from((x as { data: number[] }).data).toString("latin1")
                : x,
          );
          bytes = Buffer.concat([bytes, Buffer.from(text, "latin1")]);
        }
        const file = path.join(dir, `${listing.length}.bin`);
        fs.writeFileSync(file, bytes);
        listing.push({ object: `${v.Key} (version ${v.VersionId})`, file });
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
    const listFile = path.join(dir, "listing.json");
    const idsFile = path.join(dir, "ids.json");
    fs.writeFileSync(listFile, JSON.stringify(listing));
    fs.writeFileSync(idsFile, JSON.stringify(ids));
    const hits = run(["grep", listFile, idsFile]) as { object: string; id: string }[];
    return { objects: keys.size, versions: listing.length, hits };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
