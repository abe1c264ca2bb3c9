// What each snapshot of a table references: its manifest list, the manifests it lists (data and delete
// manifests) and every entry of each (added, existing and deleted: a deleted entry still carries the
// file's path and column bounds). Each file is read once however many snapshots share it.
import type { S3Client } from "@aws-sdk/client-s3";
import {
  readAvroFile,
  getById,
  type AvroFile,
  type AvroRecord,
  type AvroRecordSchema,
  recordFieldSchema,
} from "./avroFiles";
import { readS3File } from "./s3Files";
import type { Snapshot, TableMetadata } from "./tableMetadata";
import { idText } from "./exactJson";

/** Manifest entry status (Iceberg spec). */
export const EXISTING = 0;
export const ADDED = 1;
export const DELETED = 2;
/** data_file.content: data, position deletes, equality deletes. */
export const DATA = 0;
export const POSITION_DELETES = 1;
export const EQUALITY_DELETES = 2;

export interface ManifestEntry {
  status: number;
  snapshotId: bigint | null;
  sequenceNumber: bigint | null;
  fileSequenceNumber: bigint | null;
  content: number;
  filePath: string;
  recordCount: bigint;
  fileSize: bigint;
  /** The entry as read, rewritten from when carried into a new manifest. */
  record: AvroRecord;
}

export interface Manifest {
  path: string;
  file: AvroFile;
  dataFileSchema: AvroRecordSchema;
  entries: ManifestEntry[];
}

export interface ManifestListEntry {
  path: string;
  /** 0 data, 1 deletes (v1 lists have no content field: data). */
  content: number;
  sequenceNumber: bigint | null;
  addedSnapshotId: bigint | null;
  record: AvroRecord;
}

export interface SnapshotFiles {
  snapshot: Snapshot;
  manifestList?: { path: string; file: AvroFile; entries: ManifestListEntry[] };
  manifests: ManifestListEntry[];
}

export class TableReader {
  private readonly avro = new Map<string, Promise<AvroFile>>();
  private readonly manifests = new Map<string, Promise<Manifest>>();

  constructor(private readonly s3: S3Client) {}

  bytesRead = 0;

  avroFile(path: string): Promise<AvroFile> {
    let f = this.avro.get(path);
    if (!f) {
      f = readS3File(this.s3, path).then((b) => {
        this.bytesRead += b.length;
        return readAvroFile(b, path);
      });
      this.avro.set(path, f);
    }
    return f;
  }

  async snapshotFiles(snapshot: Snapshot): Promise<SnapshotFiles> {
    if (!snapshot["manifest-list"]) {
      const manifests = (snapshot.manifests ?? []).map((path) => ({
        path,
        content: 0,
        sequenceNumber: null,
        addedSnapshotId: null,
        record: {},
      }));
      return { snapshot, manifests };
    }
    const path = snapshot["manifest-list"];
    const file = await this.avroFile(path);
    const entries = file.records.map((r) => ({
      path: getById(file.schema, r, 500) as string,
      content: Number(getById(file.schema, r, 517) ?? 0),
      sequenceNumber: (getById(file.schema, r, 515) as bigint | null) ?? null,
      addedSnapshotId: (getById(file.schema, r, 503) as bigint | null) ?? null,
      record: r,
    }));
    return { snapshot, manifestList: { path, file, entries }, manifests: entries };
  }

  manifest(listed: ManifestListEntry): Promise<Manifest> {
    let m = this.manifests.get(listed.path);
    if (!m) {
      m = this.avroFile(listed.path).then((file) => {
        const dataFileSchema = recordFieldSchema(file.schema, 2);
        const entries = file.records.map((r): ManifestEntry => {
          const df = getById(file.schema, r, 2) as AvroRecord;
          const seq = (getById(file.schema, r, 3) as bigint | null) ?? null;
          const status = Number(getById(file.schema, r, 0));
          // Sequence numbers left null are inherited from the manifest list (v2 spec); an ADDED
          // entry's from the manifest that added it.
          const inherited = listed.sequenceNumber;
          return {
            status,
            snapshotId: ((getById(file.schema, r, 1) as bigint | null) ?? listed.addedSnapshotId) || null,
            sequenceNumber: seq ?? inherited,
            fileSequenceNumber: (getById(file.schema, r, 4) as bigint | null) ?? seq ?? inherited,
            content: Number(getById(dataFileSchema, df, 134) ?? 0),
            filePath: getById(dataFileSchema, df, 100) as string,
            recordCount: BigInt(getById(dataFileSchema, df, 103) as bigint),
            fileSize: BigInt(getById(dataFileSchema, df, 104) as bigint),
            record: r,
          };
        });
        return { path: listed.path, file, dataFileSchema, entries };
      });
      this.manifests.set(listed.path, m);
    }
    return m;
  }

  /** Every manifest of the snapshot with its entries. */
  async snapshotManifests(snapshot: Snapshot): Promise<{ files: SnapshotFiles; manifests: Manifest[] }> {
    const files = await this.snapshotFiles(snapshot);
    const manifests = await Promise.all(files.manifests.map((m) => this.manifest(m)));
    return { files, manifests };
  }
}

/** Every path the snapshots reference: manifest lists, manifests, data and delete files (live or not). */
export async function referencedPaths(reader: TableReader, metadata: TableMetadata): Promise<Set<string>> {
  const out = new Set<string>();
  for (const s of metadata.snapshots ?? []) {
    const { files, manifests } = await reader.snapshotManifests(s);
    if (files.manifestList) out.add(files.manifestList.path);
    for (const m of manifests) {
      out.add(m.path);
      for (const e of m.entries) out.add(e.filePath);
    }
  }
  for (const st of [...(metadata.statistics ?? []), ...(metadata["partition-statistics"] ?? [])])
    out.add(st["statistics-path"]);
  return out;
}

export const snapshotKey = (s: Snapshot) => idText(s["snapshot-id"]);
