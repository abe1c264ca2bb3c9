// The find tests' lake: pyarrow writes it (lake_fixtures.py), the emulator holds it, and mappers over
// it with string, integer, composite and struct keys in Parquet and JSON Lines.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DataMapper } from "../../../runtime/contracts/mappers";
import { ManifestRef } from "../../../runtime/contracts/messages";
import { writeManifest } from "../../../runtime/erasure/manifest";
import { uploadTree } from "../../../local/fixtures/lakeTree";

const root = path.resolve(__dirname, "..", "..", "..");

export function writeLake(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-find-lake-"));
  execFileSync(path.join(root, ".venv", "bin", "python"), [path.join(__dirname, "lake_fixtures.py"), dir]);
  return dir;
}

export async function uploadLake(s3: S3Client, bucket: string): Promise<string[]> {
  const dir = writeLake();
  try {
    return await uploadTree(s3, dir, bucket);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function mappersOver(bucket: string): Record<string, DataMapper> {
  const m = (
    name: string,
    prefix: string,
    idColumns: string[],
    format: DataMapper["format"],
  ): DataMapper => ({
    name,
    glueDatabase: "shop",
    glueTable: prefix,
    location: `s3://${bucket}/${prefix}/`,
    idColumns,
    format,
    partitionColumns: ["dt"],
  });
  return {
    byCustomer: m("orders-customer", "orders", ["customer_id"], "parquet"),
    byAccount: m("orders-account", "orders", ["account_no"], "parquet"),
    byTenantUser: m("orders-tenant-user", "orders", ["tenant", "user.id"], "parquet"),
    clicks: m("clicks", "clicks", ["customer_id"], "jsonl"),
    visits: m("visits", "visits", ["tenant", "user.id"], "jsonl.gz"),
  };
}

/** Customers in the fixture's ID space (0..4999) plus two that are nowhere. */
export const batchCustomers = [17, 400, 1203, 2500, 4999, 77, 3333];

export function keysFor(mapper: DataMapper): string[][] {
  const absent = [99_998, 99_999];
  return [...batchCustomers, ...absent].map((c) => {
    const columns = mapper.idColumns.join();
    if (columns === "customer_id") return [`c${String(c).padStart(5, "0")}`];
    if (columns === "account_no") return [String(100_000 + c)];
    return [`t${c % 3}`, String(900_000 + c)];
  });
}

let batches = 0;

export async function manifestFor(
  s3: S3Client,
  bucket: string,
  kmsKeyArn: string,
  keys: string[][],
): Promise<ManifestRef> {
  return writeManifest(s3, { bucket, batchId: `find-${process.pid}-${++batches}`, keys, kmsKeyArn });
}

/** A manifest object written around writeManifest's checks (e.g. empty), as a corrupted batch would be. */
export async function rawManifest(s3: S3Client, bucket: string, body: string): Promise<ManifestRef> {
  const key = `erasure-manifests/batch_id=raw-${process.pid}-${++batches}/manifest.jsonl`;
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { bucket, key, versionId: put.VersionId };
}
