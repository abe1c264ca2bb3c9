// Copy-on-write erasure of subjects from an Iceberg table, the same code deployed and locally:
//  1. plan: every data file of every snapshot is scanned (Lethe's Parquet engine); those holding a
//     subject's rows are "affected", and every snapshot whose manifests name one (live or deleted
//     entry) is to be expired: time travel to it is given up, as erasure requires;
//  2. each affected file of the current snapshot is rewritten into a NEW file without those rows;
//     the manifests naming them are rewritten (new files ADDED, the others EXISTING with their
//     sequence numbers, deleted entries dropped since they carry the old files' column bounds), a
//     new manifest list and an `overwrite` snapshot are written, and a new metadata JSON without the
//     expired snapshots is committed to Glue with optimistic concurrency (glueTable.ts): a commit by
//     another writer meanwhile makes Lethe delete what it wrote and re-plan on the new metadata;
//  3. clean-up (tableCleanup.ts) deletes, with every S3 version, what no longer is referenced.
import { randomBytes, randomUUID } from "node:crypto";
import type { GlueClient } from "@aws-sdk/client-glue";
import type { S3Client } from "@aws-sdk/client-s3";
import type { PurgeOptions } from "../../formats/lakeFormat";
import type { KeyMatcher } from "../../subjects/matcher";
import { getById, recordByIds, setById, writeAvroFile, type AvroRecord } from "./avroFiles";
import { matchingRows, rewriteDataFile } from "./dataFiles";
import { avroIntLongMap } from "./fileStats";
import { idText } from "./exactJson";
import { commitMetadataLocation, ConcurrentCommitError, getIcebergTable } from "./glueTable";
import {
  equalityDeletesRefusal,
  inlineManifestsRefusal,
  outsideLocationRefusal,
  positionDeletesRefusal,
  refsRefusal,
} from "./refusals";
import { deleteEveryVersion, readS3File, underLocation, writeNewS3File } from "./s3Files";
import { cleanupTable, type CleanupFigures } from "./tableCleanup";
import {
  ADDED,
  DATA,
  DELETED,
  EQUALITY_DELETES,
  EXISTING,
  snapshotKey,
  TableReader,
  type Manifest,
} from "./tableFiles";
import {
  nextMetadataLocation,
  parseTableMetadata,
  serializeTableMetadata,
  type Snapshot,
  type TableMetadata,
} from "./tableMetadata";

export interface IcebergEraseSettings {
  s3: S3Client;
  glue: GlueClient;
  database: string;
  table: string;
  matcher: KeyMatcher;
  /** Drop branches and tags pointing at snapshots to expire (else refused). */
  dropRefs?: boolean;
  purgeOptions?: PurgeOptions;
  /** Commit attempts before giving up on a table other writers keep committing to. */
  maxAttempts?: number;
  /** Test seams: called just before the Glue commit, and just after it (a crash there is a re-run's job). */
  beforeCommit?: (attempt: number) => Promise<void>;
  afterCommit?: () => Promise<void>;
}

export interface IcebergEraseFigures {
  /** The metadata committed (undefined: no snapshot held a subject, nothing committed). */
  metadataLocation?: string;
  attempts: number;
  dataFilesScanned: number;
  dataFilesAffected: number;
  filesRewritten: number;
  /** Files whose every row was a subject's: dropped, not rewritten. */
  filesDropped: number;
  rowsRemoved: number;
  bytesRead: number;
  bytesWritten: number;
  snapshotsExpired: number;
  snapshotsKept: number;
  refsDropped: string[];
  cleanup: CleanupFigures;
  ms: number;
}

interface Written {
  paths: string[];
  bytes: number;
}

function newSnapshotId(): bigint {
  // Iceberg's snapshot ids are positive longs; random as Java's and PyIceberg's.
  return randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
}

export async function eraseFromIcebergTable(settings: IcebergEraseSettings): Promise<IcebergEraseFigures> {
  const started = Date.now();
  const maxAttempts = settings.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const written: Written = { paths: [], bytes: 0 };
    try {
      const planned = await planAndCommit(settings, attempt, written);
      if (planned.metadataLocation) await settings.afterCommit?.();
      const cleanup = await cleanupTable(settings.s3, settings.glue, settings.database, settings.table);
      return { ...planned, attempts: attempt, cleanup, ms: Date.now() - started };
    } catch (err) {
      if (!(err instanceof ConcurrentCommitError) || attempt >= maxAttempts) throw err;
      // Nothing of this attempt is referenced by any metadata: delete it, then re-plan.
      for (const p of written.paths) await deleteEveryVersion(settings.s3, p);
    }
  }
}

type Planned = Omit<IcebergEraseFigures, "attempts" | "cleanup" | "ms">;

async function planAndCommit(
  settings: IcebergEraseSettings,
  attempt: number,
  written: Written,
): Promise<Planned> {
  const { s3, glue, matcher } = settings;
  const name = `${settings.database}.${settings.table}`;
  const glueTable = await getIcebergTable(glue, settings.database, settings.table);
  const metadataBytes = await readS3File(s3, glueTable.metadataLocation);
  const metadata = parseTableMetadata(metadataBytes.toString("utf8"), glueTable.metadataLocation);
  const reader = new TableReader(s3);
  const read = { bytes: metadataBytes.length };

  // Every snapshot's manifests; delete files are refused (refusals.ts) before anything is written.
  const snapshots = metadata.snapshots ?? [];
  const bySnapshot = new Map<string, Manifest[]>();
  const equalityDeletes: string[] = [];
  const positionDeletes: string[] = [];
  const dataFiles = new Set<string>();
  for (const s of snapshots) {
    const { manifests } = await reader.snapshotManifests(s);
    bySnapshot.set(snapshotKey(s), manifests);
    for (const m of manifests)
      for (const e of m.entries) {
        if (e.content === DATA) dataFiles.add(e.filePath);
        else if (e.content === EQUALITY_DELETES) equalityDeletes.push(e.filePath);
        else positionDeletes.push(e.filePath);
      }
  }
  if (equalityDeletes.length) throw equalityDeletesRefusal(name, equalityDeletes);

  const affected = new Set<string>();
  for (const path of dataFiles) {
    const rows = await matchingRows(s3, path, matcher, read);
    if (rows) affected.add(path);
  }
  const figures: Planned = {
    dataFilesScanned: dataFiles.size,
    dataFilesAffected: affected.size,
    filesRewritten: 0,
    filesDropped: 0,
    rowsRemoved: 0,
    bytesRead: 0,
    bytesWritten: 0,
    snapshotsExpired: 0,
    snapshotsKept: snapshots.length,
    refsDropped: [],
  };
  if (affected.size === 0) return { ...figures, bytesRead: read.bytes + reader.bytesRead };
  if (positionDeletes.length) throw positionDeletesRefusal(name, positionDeletes);
  const outside = [...affected].filter((p) => !underLocation(p, metadata.location));
  if (outside.length) throw outsideLocationRefusal(name, metadata.location, outside);

  const names = (m: Manifest) => m.entries.some((e) => affected.has(e.filePath));
  const expired = new Set(
    snapshots.filter((s) => bySnapshot.get(snapshotKey(s))!.some(names)).map((s) => snapshotKey(s)),
  );
  const currentKey =
    metadata["current-snapshot-id"] == null ? undefined : idText(metadata["current-snapshot-id"]);
  const current = snapshots.find((s) => snapshotKey(s) === currentKey);
  const refs = { ...(metadata.refs ?? {}) };
  const refsDropped: string[] = [];
  for (const [ref, target] of Object.entries(refs)) {
    if (!expired.has(idText(target["snapshot-id"]))) continue;
    if (ref === "main" && idText(target["snapshot-id"]) === currentKey) continue; // moved to the new snapshot
    refsDropped.push(ref);
  }
  if (refsDropped.length && !settings.dropRefs) throw refsRefusal(name, refsDropped);
  for (const ref of refsDropped) delete refs[ref];

  const now = Date.now();
  const next: TableMetadata = { ...metadata, "last-updated-ms": now, refs };
  const kept = snapshots.filter((s) => !expired.has(snapshotKey(s)));
  let newSnapshot: Snapshot | undefined;
  if (current && expired.has(currentKey!)) {
    newSnapshot = await writeOverwriteSnapshot(
      settings,
      metadata,
      current,
      bySnapshot.get(currentKey!)!,
      affected,
      {
        reader,
        read,
        written,
        figures,
        now,
      },
    );
    next["current-snapshot-id"] = newSnapshot["snapshot-id"];
    refs.main = { ...(refs.main ?? {}), "snapshot-id": newSnapshot["snapshot-id"], type: "branch" };
    if (metadata["format-version"] >= 2) next["last-sequence-number"] = newSnapshot["sequence-number"];
  }
  next.snapshots = newSnapshot ? [...kept, newSnapshot] : kept;
  const keptKeys = new Set(next.snapshots.map(snapshotKey));
  next["snapshot-log"] = [
    ...(metadata["snapshot-log"] ?? []).filter((l) => keptKeys.has(idText(l["snapshot-id"]))),
    ...(newSnapshot ? [{ "snapshot-id": newSnapshot["snapshot-id"], "timestamp-ms": now }] : []),
  ];
  // The old metadata files stay listed: the clean-up (tableCleanup.ts) walks this log to find what
  // they referenced, and a re-run after a crash finds it there again.
  next["metadata-log"] = [
    ...(metadata["metadata-log"] ?? []),
    { "metadata-file": glueTable.metadataLocation, "timestamp-ms": metadata["last-updated-ms"] },
  ];
  if (next.statistics)
    next.statistics = next.statistics.filter((s) => keptKeys.has(idText(s["snapshot-id"])));
  if (next["partition-statistics"])
    next["partition-statistics"] = next["partition-statistics"].filter((s) =>
      keptKeys.has(idText(s["snapshot-id"])),
    );

  const location = nextMetadataLocation(glueTable.metadataLocation, metadata.location, randomUUID());
  const body = Buffer.from(serializeTableMetadata(next), "utf8");
  await writeNewS3File(s3, location, body);
  written.paths.push(location);
  written.bytes += body.length;
  await settings.beforeCommit?.(attempt);
  await commitMetadataLocation(glue, glueTable, location);
  return {
    ...figures,
    metadataLocation: location,
    bytesRead: read.bytes + reader.bytesRead,
    bytesWritten: written.bytes,
    snapshotsExpired: expired.size,
    snapshotsKept: next.snapshots.length,
    refsDropped,
  };
}

interface Work {
  reader: TableReader;
  read: { bytes: number };
  written: Written;
  figures: Planned;
  now: number;
}

function dataFilePathNew(path: string): string {
  const dir = path.slice(0, path.lastIndexOf("/"));
  return `${dir}/lethe-${randomUUID()}.parquet`;
}

async function writeOverwriteSnapshot(
  settings: IcebergEraseSettings,
  metadata: TableMetadata,
  current: Snapshot,
  manifests: Manifest[],
  affected: Set<string>,
  work: Work,
): Promise<Snapshot> {
  const { s3, matcher } = settings;
  const name = `${settings.database}.${settings.table}`;
  const v2 = metadata["format-version"] >= 2;
  const { files } = await work.reader.snapshotManifests(current);
  if (!files.manifestList) throw inlineManifestsRefusal(name);
  const snapshotId = newSnapshotId();
  const sequenceNumber = v2 ? (metadata["last-sequence-number"] ?? 0) + 1 : undefined;
  const tableDir = metadata.location.replace(/\/$/, "");
  const summary = {
    added: 0,
    deleted: 0,
    addedRecords: 0n,
    deletedRecords: 0n,
    addedSize: 0n,
    removedSize: 0n,
  };
  const listRecords: AvroRecord[] = [];

  for (const listed of files.manifestList.entries) {
    const m = manifests.find((x) => x.path === listed.path)!;
    if (!m.entries.some((e) => affected.has(e.filePath))) {
      listRecords.push(listed.record);
      continue;
    }
    const schema = m.file.schema;
    const records: AvroRecord[] = [];
    let added = 0;
    let existing = 0;
    let addedRows = 0n;
    let existingRows = 0n;
    let minSeq: bigint | undefined = v2 ? BigInt(sequenceNumber!) : undefined;
    for (const e of m.entries) {
      if (e.status === DELETED) continue;
      if (!affected.has(e.filePath)) {
        const r: AvroRecord = { ...e.record };
        setById(schema, r, 0, EXISTING);
        setById(schema, r, 1, e.snapshotId);
        setById(schema, r, 3, e.sequenceNumber);
        setById(schema, r, 4, e.fileSequenceNumber);
        records.push(r);
        existing++;
        existingRows += e.recordCount;
        if (e.sequenceNumber != null && (minSeq === undefined || e.sequenceNumber < minSeq))
          minSeq = e.sequenceNumber;
        continue;
      }
      const newPath = dataFilePathNew(e.filePath);
      const stats = await rewriteDataFile(s3, e.filePath, newPath, matcher, work.read, settings.purgeOptions);
      summary.deleted++;
      summary.deletedRecords += e.recordCount;
      summary.removedSize += e.fileSize;
      work.figures.rowsRemoved += stats.rowsRemoved;
      if (stats.rowsAfter === 0) {
        work.figures.filesDropped++;
        continue;
      }
      work.written.paths.push(newPath);
      work.written.bytes += stats.bytesOut;
      work.figures.filesRewritten++;
      const df: AvroRecord = { ...(getById(schema, e.record, 2) as AvroRecord) };
      setById(m.dataFileSchema, df, 100, newPath);
      setById(m.dataFileSchema, df, 103, BigInt(stats.rowsAfter));
      setById(m.dataFileSchema, df, 104, BigInt(stats.bytesOut));
      // The old file's per-column figures and bounds no longer hold (its bounds may be a subject's
      // ID): the new file's counts and sizes come from its footer (fileStats.ts); bounds, NaN counts
      // and split offsets are left out, which Iceberg readers take as "unknown" (the file is read).
      for (const id of [137, 125, 128, 132]) setById(m.dataFileSchema, df, id, null);
      setById(m.dataFileSchema, df, 108, avroIntLongMap(stats.columns!.columnSizes));
      setById(m.dataFileSchema, df, 109, avroIntLongMap(stats.columns!.valueCounts));
      setById(m.dataFileSchema, df, 110, avroIntLongMap(stats.columns!.nullCounts));
      const r: AvroRecord = { ...e.record };
      setById(schema, r, 0, ADDED);
      setById(schema, r, 1, snapshotId);
      setById(schema, r, 3, null);
      setById(schema, r, 4, null);
      setById(schema, r, 2, df);
      records.push(r);
      added++;
      addedRows += BigInt(stats.rowsAfter);
      summary.added++;
      summary.addedRecords += BigInt(stats.rowsAfter);
      summary.addedSize += BigInt(stats.bytesOut);
    }
    if (records.length === 0) continue;
    const manifestPath = `${tableDir}/metadata/${randomUUID()}-m0.avro`;
    const manifestBytes = await writeAvroFile({ schema, meta: m.file.meta, records });
    await writeNewS3File(s3, manifestPath, manifestBytes);
    work.written.paths.push(manifestPath);
    work.written.bytes += manifestBytes.length;
    const listSchema = files.manifestList.file.schema;
    listRecords.push(
      recordByIds(
        listSchema,
        new Map<number, unknown>([
          [500, manifestPath],
          [501, BigInt(manifestBytes.length)],
          [502, getById(listSchema, listed.record, 502) ?? Number(m.file.meta["partition-spec-id"] ?? 0)],
          [517, 0],
          [515, v2 ? BigInt(sequenceNumber!) : null],
          [516, minSeq ?? null],
          [503, snapshotId],
          [504, added],
          [505, existing],
          [506, 0],
          [512, addedRows],
          [513, existingRows],
          [514, 0n],
          // Partition summaries left out: optional, and their bounds would need recomputing.
          [507, null],
          [519, null],
        ]),
      ),
    );
  }

  const listPath = `${tableDir}/metadata/snap-${snapshotId}-1-${randomUUID()}.avro`;
  const listMeta: Record<string, string> = {
    ...files.manifestList.file.meta,
    "snapshot-id": String(snapshotId),
    "parent-snapshot-id": idText(current["snapshot-id"]),
  };
  if (v2) listMeta["sequence-number"] = String(sequenceNumber);
  const listBytes = await writeAvroFile({
    schema: files.manifestList.file.schema,
    meta: listMeta,
    records: listRecords,
  });
  await writeNewS3File(s3, listPath, listBytes);
  work.written.paths.push(listPath);
  work.written.bytes += listBytes.length;

  const prev = current.summary ?? {};
  const total = (k: string, delta: bigint) =>
    prev[k] !== undefined ? { [k]: String(BigInt(prev[k]) + delta) } : {};
  const snapshot: Snapshot = {
    "snapshot-id": snapshotId,
    "parent-snapshot-id": current["snapshot-id"],
    ...(v2 ? { "sequence-number": sequenceNumber } : {}),
    "timestamp-ms": work.now,
    "manifest-list": listPath,
    summary: {
      operation: "overwrite",
      "added-data-files": String(summary.added),
      "deleted-data-files": String(summary.deleted),
      "added-records": String(summary.addedRecords),
      "deleted-records": String(summary.deletedRecords),
      "added-files-size": String(summary.addedSize),
      "removed-files-size": String(summary.removedSize),
      ...total("total-data-files", BigInt(summary.added - summary.deleted)),
      ...total("total-records", summary.addedRecords - summary.deletedRecords),
      ...total("total-files-size", summary.addedSize - summary.removedSize),
      ...(prev["total-delete-files"] !== undefined
        ? { "total-delete-files": prev["total-delete-files"] }
        : {}),
      ...(prev["total-position-deletes"] !== undefined
        ? { "total-position-deletes": prev["total-position-deletes"] }
        : {}),
      ...(prev["total-equality-deletes"] !== undefined
        ? { "total-equality-deletes": prev["total-equality-deletes"] }
        : {}),
      "lethe.erasure": "copy-on-write",
    },
    ...(current["schema-id"] !== undefined ? { "schema-id": current["schema-id"] } : {}),
  };
  return snapshot;
}
