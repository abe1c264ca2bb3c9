// An Iceberg table's metadata JSON (format versions 1 and 2), read and written exactly (exactJson.ts):
// only the fields Lethe reads or changes are typed; every other field is carried over untouched.
import { parseExactJson, stringifyExactJson } from "./exactJson";

export type SnapshotId = number | bigint;

export interface Snapshot {
  "snapshot-id": SnapshotId;
  "parent-snapshot-id"?: SnapshotId;
  "sequence-number"?: number;
  "timestamp-ms": number;
  "manifest-list"?: string;
  /** Format version 1 only: manifests listed inline instead of a manifest list. */
  manifests?: string[];
  summary?: Record<string, string>;
  "schema-id"?: number;
  [field: string]: unknown;
}

export interface SnapshotRef {
  "snapshot-id": SnapshotId;
  type: "branch" | "tag";
  [field: string]: unknown;
}

export interface TableMetadata {
  "format-version": 1 | 2 | 3;
  location: string;
  "last-updated-ms": number;
  "last-sequence-number"?: number;
  "current-snapshot-id"?: SnapshotId | null;
  snapshots?: Snapshot[];
  "snapshot-log"?: { "snapshot-id": SnapshotId; "timestamp-ms": number }[];
  "metadata-log"?: { "metadata-file": string; "timestamp-ms": number }[];
  refs?: Record<string, SnapshotRef>;
  statistics?: { "snapshot-id": SnapshotId; "statistics-path": string; [f: string]: unknown }[];
  "partition-statistics"?: { "snapshot-id": SnapshotId; "statistics-path": string; [f: string]: unknown }[];
  [field: string]: unknown;
}

export function parseTableMetadata(text: string, name: string): TableMetadata {
  const m = parseExactJson(text) as TableMetadata;
  if (!m || typeof m !== "object" || typeof m.location !== "string" || !m["format-version"])
    throw new Error(`${name} is not Iceberg table metadata (no location or format-version)`);
  if (m["format-version"] > 2)
    throw new Error(`${name}: Iceberg format version ${m["format-version"]} is not supported (1 and 2 are)`);
  return m;
}

export function serializeTableMetadata(m: TableMetadata): string {
  return stringifyExactJson(m);
}

/** The next metadata file's name: Iceberg's `<version>-<uuid>.metadata.json`, one past the current. */
export function nextMetadataLocation(current: string, location: string, uuid: string): string {
  const m = /\/(\d+)-[^/]+\.metadata\.json$/.exec(current);
  const next = m ? String(Number(m[1]) + 1).padStart(5, "0") : "00000";
  return `${location.replace(/\/$/, "")}/metadata/${next}-${uuid}.metadata.json`;
}
