// After a commit: every file the table's earlier metadata files referenced and its current metadata
// does not (replaced data files, manifests, manifest lists, statistics, the earlier metadata files
// themselves) is deleted with every S3 version of it. The earlier metadata files are found through the
// current one's metadata-log, so a re-run after a crash between the commit and this clean-up finds the
// same list and converges; files already gone are skipped. Metadata files go last: while one is left,
// what it referenced can still be found.
import type { GlueClient } from "@aws-sdk/client-glue";
import type { S3Client } from "@aws-sdk/client-s3";
import { versionGone } from "../../purge/s3Objects";
import { getIcebergTable } from "./glueTable";
import { deleteEveryVersion, readS3File, readS3FileIfPresent, underLocation } from "./s3Files";
import { referencedPaths, TableReader } from "./tableFiles";
import { parseTableMetadata } from "./tableMetadata";

export interface CleanupFigures {
  metadataFilesRead: number;
  /** Files (keys) deleted, and the S3 versions and delete markers deleted with them. */
  filesDeleted: number;
  versionsDeleted: number;
}

export async function cleanupTable(
  s3: S3Client,
  glue: GlueClient,
  database: string,
  table: string,
): Promise<CleanupFigures> {
  const glueTable = await getIcebergTable(glue, database, table);
  const current = parseTableMetadata(
    (await readS3File(s3, glueTable.metadataLocation)).toString("utf8"),
    glueTable.metadataLocation,
  );
  const reader = new TableReader(s3);
  const keep = await referencedPaths(reader, current);
  keep.add(glueTable.metadataLocation);
  const figures: CleanupFigures = { metadataFilesRead: 0, filesDeleted: 0, versionsDeleted: 0 };
  const oldMetadata = (current["metadata-log"] ?? [])
    .map((l) => l["metadata-file"])
    .filter((p) => p !== glueTable.metadataLocation);
  const found: Referenced = { files: new Set(), manifests: new Set(), lists: new Set() };
  for (const path of oldMetadata) {
    const bytes = await readS3FileIfPresent(s3, path);
    if (!bytes) continue;
    figures.metadataFilesRead++;
    await referencedPathsPresent(reader, parseTableMetadata(bytes.toString("utf8"), path), found);
  }
  // Only under the table's location: a file added from elsewhere (add_files, a migration) is not the
  // table's to delete.
  const unreferenced = (set: Set<string>) =>
    [...set].filter((p) => !keep.has(p) && underLocation(p, current.location));
  const order = [
    ...unreferenced(found.files),
    ...unreferenced(found.manifests),
    ...unreferenced(found.lists),
    ...oldMetadata.filter((p) => underLocation(p, current.location)),
  ];
  for (const p of order) {
    const n = await deleteEveryVersion(s3, p);
    if (n > 0) {
      figures.filesDeleted++;
      figures.versionsDeleted += n;
    }
  }
  return figures;
}

interface Referenced {
  files: Set<string>;
  manifests: Set<string>;
  lists: Set<string>;
}

/** The paths an old metadata file references, skipping manifest lists and manifests already deleted. */
async function referencedPathsPresent(
  reader: TableReader,
  old: ReturnType<typeof parseTableMetadata>,
  found: Referenced,
): Promise<void> {
  for (const st of [...(old.statistics ?? []), ...(old["partition-statistics"] ?? [])])
    found.files.add(st["statistics-path"]);
  for (const s of old.snapshots ?? []) {
    if (s["manifest-list"]) found.lists.add(s["manifest-list"]);
    // A manifest list or manifest deleted by an earlier, interrupted clean-up: what it referenced was
    // deleted before it (data files, then manifests, then lists, then metadata files).
    const files = await ifPresent(reader.snapshotFiles(s));
    for (const listed of files?.manifests ?? []) {
      found.manifests.add(listed.path);
      const m = await ifPresent(reader.manifest(listed));
      for (const e of m?.entries ?? []) found.files.add(e.filePath);
    }
  }
}

async function ifPresent<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (versionGone(err)) return undefined;
    throw err;
  }
}
