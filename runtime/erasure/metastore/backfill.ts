// Indexes what a mapper's location already holds: every current object, or every version with
// `allVersions`, in key order (each key's versions newest first, as S3 lists them). A checkpoint file
// records the last version done and when the run began, so a run that stops (crash, Ctrl-C, expired
// credentials) resumes instead of starting over. A resumed run lists the location from its start again
// (listing is cheap; reading is what a checkpoint saves) and reads every version past the resume point
// and every version written since the first run began: a lake written again under a checkpoint (new
// versions sort before the old ones of their key, and keys before the resume point), or another
// emulator whose version ids the checkpoint never saw, is indexed whole, never skipped. (A listing
// resumed from a version marker S3 does not know comes back empty on moto: a backfill that indexed
// nothing and said done.) A checkpoint of another location or index table is not resumed from.
import * as fs from "node:fs";
import { ListObjectVersionsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { DataMapper, deletesObjects, parseS3Location } from "../../contracts/mappers";
import { IndexerDeps, indexObjectVersion } from "./indexer";

export interface BackfillProgress {
  mapper: string;
  allVersions: boolean;
  /** The mapper's location and the index table written: the listing this progress belongs to. */
  location: string;
  indexTable: string;
  /** When the first run of this backfill began (versions written since are read on resume). */
  startedAt: string;
  /** Why a saved checkpoint was not resumed from, when it was not. */
  startedOver?: string;
  /** The last object version indexed (resume point). */
  lastKey?: string;
  lastVersionId?: string;
  versions: number;
  entries: number;
  done: boolean;
}

export interface BackfillOptions {
  allVersions?: boolean;
  /** Where progress is kept between runs; without it a run always starts from the beginning. */
  checkpointFile?: string;
  onProgress?: (p: BackfillProgress) => void;
  now?: () => Date;
}

interface Listed {
  key: string;
  versionId?: string;
  lastModified?: Date;
}

/**
 * Versions written this long before a run began count as written since: S3's LastModified is in whole
 * seconds, and its clock and this machine's may differ by a little.
 */
const clockSkewMs = 5_000;

async function* listed(deps: IndexerDeps, mapper: DataMapper, allVersions: boolean): AsyncGenerator<Listed> {
  const { bucket, prefix } = parseS3Location(mapper.location);
  const wanted = (key: string | undefined, size: number | undefined): key is string =>
    key !== undefined && !key.endsWith("/") && (size ?? 0) > 0;
  if (allVersions) {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const page = await deps.s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const v of page.Versions ?? []) {
        if (wanted(v.Key, v.Size)) yield { key: v.Key, versionId: v.VersionId, lastModified: v.LastModified };
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
  }
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      if (wanted(o.Key, o.Size)) yield { key: o.Key, lastModified: o.LastModified };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * What a run does with each listed version: read it as the next one past the resume point ("next"), read
 * it because it was written since the first run began though the resume point is past it ("since"), or
 * skip it (read by the run being resumed). A fresh run reads every version as "next". S3's order: keys
 * by UTF-8 bytes, a key's versions newest first.
 */
function resumeFrom(p: BackfillProgress): (item: Listed) => "next" | "since" | "skip" {
  const lastKey = p.lastKey;
  if (lastKey === undefined) return () => "next";
  const writtenSince = Date.parse(p.startedAt) - clockSkewMs;
  let past = false;
  return (item) => {
    if (past || Buffer.compare(Buffer.from(item.key), Buffer.from(lastKey)) > 0) {
      past = true;
      return "next";
    }
    if (item.key === lastKey && (!p.allVersions || item.versionId === p.lastVersionId)) past = true;
    return (item.lastModified?.getTime() ?? Infinity) >= writtenSince ? "since" : "skip";
  };
}

function readCheckpoint(file: string | undefined, fresh: BackfillProgress): BackfillProgress {
  if (!file || !fs.existsSync(file)) return fresh;
  const saved = JSON.parse(fs.readFileSync(file, "utf8")) as BackfillProgress;
  if (saved.mapper !== fresh.mapper || saved.allVersions !== fresh.allVersions) {
    throw new Error(
      `checkpoint ${file} is for mapper ${saved.mapper} (all versions: ${saved.allVersions}); use another file`,
    );
  }
  if (saved.done) return fresh;
  if (saved.location !== fresh.location || saved.indexTable !== fresh.indexTable || !saved.startedAt) {
    return {
      ...fresh,
      startedOver: `checkpoint ${file} is of ${saved.location ?? "another location"} into ${saved.indexTable ?? "another table"}`,
    };
  }
  return { ...saved, startedOver: undefined };
}

function saveCheckpoint(file: string | undefined, p: BackfillProgress): void {
  if (!file) return;
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(p));
  fs.renameSync(`${file}.tmp`, file);
}

export async function backfillMapper(
  deps: IndexerDeps,
  mapper: DataMapper,
  options: BackfillOptions = {},
): Promise<BackfillProgress> {
  const allVersions = options.allVersions ?? false;
  const progress = readCheckpoint(options.checkpointFile, {
    mapper: mapper.name,
    allVersions,
    location: mapper.location,
    indexTable: deps.indexTable,
    startedAt: (options.now?.() ?? new Date()).toISOString(),
    versions: 0,
    entries: 0,
    done: false,
  });
  // A delete-object mapper's keys name their subjects: nothing to index (the indexer ignores them too).
  if (deletesObjects(mapper)) return { ...progress, done: true };
  const { bucket } = parseS3Location(mapper.location);
  const step = resumeFrom(progress);
  for await (const item of listed(deps, mapper, allVersions)) {
    const what = step(item);
    if (what === "skip") continue;
    const outcome = await indexObjectVersion(deps, mapper, bucket, item.key, item.versionId);
    progress.versions++;
    progress.entries += outcome.entries;
    if (what === "next") {
      progress.lastKey = item.key;
      progress.lastVersionId = item.versionId;
    }
    saveCheckpoint(options.checkpointFile, progress);
    options.onProgress?.(progress);
  }
  progress.done = true;
  saveCheckpoint(options.checkpointFile, progress);
  return progress;
}
