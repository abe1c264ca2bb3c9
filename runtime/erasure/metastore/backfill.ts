// Indexes what a mapper's location already holds: every current object, or every version with
// `allVersions`, in key order. A checkpoint file records the last version done, so a run that stops
// (crash, Ctrl-C, expired credentials) resumes after it instead of starting over.
import * as fs from "node:fs";
import { ListObjectVersionsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../../contracts/mappers";
import { IndexerDeps, indexObjectVersion } from "./indexer";

export interface BackfillProgress {
  mapper: string;
  allVersions: boolean;
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
}

interface Listed {
  key: string;
  versionId?: string;
}

async function* listed(
  deps: IndexerDeps,
  mapper: DataMapper,
  from: BackfillProgress,
): AsyncGenerator<Listed> {
  const { bucket, prefix } = parseS3Location(mapper.location);
  if (from.allVersions) {
    let keyMarker = from.lastKey;
    let versionMarker = from.lastKey ? from.lastVersionId : undefined;
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
        if (v.Key && !v.Key.endsWith("/") && (v.Size ?? 0) > 0) yield { key: v.Key, versionId: v.VersionId };
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
  }
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        StartAfter: from.lastKey,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key && !o.Key.endsWith("/") && (o.Size ?? 0) > 0) yield { key: o.Key };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

function readCheckpoint(file: string | undefined, mapper: string, allVersions: boolean): BackfillProgress {
  const fresh: BackfillProgress = { mapper, allVersions, versions: 0, entries: 0, done: false };
  if (!file || !fs.existsSync(file)) return fresh;
  const saved = JSON.parse(fs.readFileSync(file, "utf8")) as BackfillProgress;
  if (saved.mapper !== mapper || saved.allVersions !== allVersions) {
    throw new Error(
      `checkpoint ${file} is for mapper ${saved.mapper} (all versions: ${saved.allVersions}); use another file`,
    );
  }
  return saved.done ? fresh : saved;
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
  const progress = readCheckpoint(options.checkpointFile, mapper.name, allVersions);
  const { bucket } = parseS3Location(mapper.location);
  for await (const item of listed(deps, mapper, progress)) {
    const outcome = await indexObjectVersion(deps, mapper, bucket, item.key, item.versionId);
    progress.versions++;
    progress.entries += outcome.entries;
    progress.lastKey = item.key;
    progress.lastVersionId = item.versionId;
    saveCheckpoint(options.checkpointFile, progress);
    options.onProgress?.(progress);
  }
  progress.done = true;
  saveCheckpoint(options.checkpointFile, progress);
  return progress;
}
