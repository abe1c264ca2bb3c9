// The plan of a batch: per data mapper, the objects to rewrite and the versions of each that hold the
// subjects' rows (Athena's or DuckDB's current objects, united with the index metastore's versions),
// with the rows the index expects; a `delete-object` mapper's objects are listed through its key
// template instead (./find/templateObjects.ts), every version and delete marker. Written to S3 as JSON (paths and counts only, never an ID), and
// summarised for the batch record in counts and bytes scanned.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DataMapper, deletesObjects } from "../contracts/mappers";
import { ManifestRef } from "../contracts/messages";
import { planRoot } from "../contracts/lakeSchema";
import { Finder, FindOptions, FindResult } from "./find/finder";
import { findTemplateObjects } from "./find/templateObjects";
import { HashSubject, lookupSubjects } from "./metastore/indexStore";
import { manifestBatchId, readManifest } from "./manifest";

export interface PlannedObject {
  bucket: string;
  key: string;
  /** The finder found a match in the current version. */
  current: boolean;
  /** Versions the index knows hold matching rows ("null" for a pre-versioning object). */
  versionIds: string[];
  /** Rows the index expects to remove across those versions (0 when only the finder knew the object). */
  expectedRows: number;
}

export interface MapperPlan {
  mapper: string;
  objects: PlannedObject[];
  bytesScanned: number;
}

export interface BatchPlan {
  batchId: string;
  manifest: ManifestRef;
  createdAt: string;
  mappers: MapperPlan[];
}

export interface PlanSummary {
  batchId: string;
  objects: number;
  versions: number;
  expectedRows: number;
  bytesScanned: number;
  mappers: {
    mapper: string;
    objects: number;
    versions: number;
    expectedRows: number;
    bytesScanned: number;
  }[];
}

export interface PlanDeps {
  s3: S3Client;
  finder: Finder;
  /** The index metastore; without it the plan holds the finder's current objects only. */
  index?: { doc: DynamoDBDocumentClient; table: string; hashSubject: HashSubject };
}

function s3Parts(path: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(path);
  if (!m) throw new Error(`not an s3:// object path: ${path}`);
  return { bucket: m[1], key: m[2] };
}

/** A batch whose subjects' key shape no data mapper has: nothing could be searched. */
export class NoMapperForKeysError extends Error {
  constructor(readonly parts: number) {
    super(
      `no data mapper has a key of ${parts} column(s): the batch's subjects (keys of ${parts} part(s)) ` +
        `cannot be searched for; see docs/find.md "Key shapes"`,
    );
    this.name = "NoMapperForKeysError";
  }
}

/**
 * The mappers a batch's subjects reach: those whose key has as many columns as the subjects' keys have
 * parts (a batch holds keys of one shape). A one-part ID reaches the mappers keyed by one column; a
 * composite key, the mappers keyed by that many columns, in their column order.
 */
export function mappersForKeys(
  mappers: readonly DataMapper[],
  keys: readonly (readonly string[])[],
): DataMapper[] {
  if (keys.length === 0) return [...mappers]; // the finders refuse an empty batch, naming the mapper
  const parts = keys[0].length;
  const reached = mappers.filter((m) => m.idColumns.length === parts);
  if (reached.length === 0) throw new NoMapperForKeysError(parts);
  return reached;
}

export async function planBatch(
  deps: PlanDeps,
  mappers: DataMapper[],
  manifest: ManifestRef,
  options: FindOptions = {},
  now = new Date(),
): Promise<BatchPlan> {
  const subjects = await readManifest(deps.s3, manifest);
  const entries = deps.index
    ? await lookupSubjects(deps.index.doc, deps.index.table, subjects, deps.index.hashSubject)
    : [];
  const plans: MapperPlan[] = [];
  for (const mapper of mappersForKeys(mappers, subjects)) {
    const objects = new Map<string, PlannedObject>();
    const at = (bucket: string, key: string) => {
      const id = `${bucket}/${key}`;
      let o = objects.get(id);
      if (!o) objects.set(id, (o = { bucket, key, current: false, versionIds: [], expectedRows: 0 }));
      return o;
    };
    let found: FindResult;
    if (deletesObjects(mapper)) {
      // Listed through the key template, every version and delete marker, never read.
      found = { paths: [], bytesScanned: 0 };
      for (const t of await findTemplateObjects(deps.s3, mapper, subjects)) {
        const o = at(t.bucket, t.key);
        o.current = t.current;
        o.versionIds.push(...t.versionIds);
      }
    } else found = await deps.finder.findObjects(mapper, manifest, options);
    for (const p of found.paths) {
      const { bucket, key } = s3Parts(p);
      at(bucket, key).current = true;
    }
    for (const e of entries.filter((x) => x.mapper === mapper.name)) {
      const o = at(e.bucket, e.key);
      if (!o.versionIds.includes(e.versionId)) o.versionIds.push(e.versionId);
      o.expectedRows += e.rows;
    }
    const list = [...objects.values()].sort((a, b) =>
      `${a.bucket}/${a.key}`.localeCompare(`${b.bucket}/${b.key}`),
    );
    for (const o of list) o.versionIds.sort();
    plans.push({ mapper: mapper.name, objects: list, bytesScanned: found.bytesScanned });
  }
  return { batchId: manifestBatchId(manifest), manifest, createdAt: now.toISOString(), mappers: plans };
}

export function summarisePlan(plan: BatchPlan): PlanSummary {
  const mappers = plan.mappers.map((m) => ({
    mapper: m.mapper,
    objects: m.objects.length,
    versions: m.objects.reduce((n, o) => n + Math.max(o.versionIds.length, o.current ? 1 : 0), 0),
    expectedRows: m.objects.reduce((n, o) => n + o.expectedRows, 0),
    bytesScanned: m.bytesScanned,
  }));
  const sum = (f: (m: (typeof mappers)[number]) => number) => mappers.reduce((n, m) => n + f(m), 0);
  return {
    batchId: plan.batchId,
    objects: sum((m) => m.objects),
    versions: sum((m) => m.versions),
    expectedRows: sum((m) => m.expectedRows),
    bytesScanned: sum((m) => m.bytesScanned),
    mappers,
  };
}

/**
 * Writes the plan under `erasure-plans/batch_id=<batch>/plan.json` (round 0, find's) or
 * `plan-round-<n>.json` (the rounds verify sends back to forget), SSE-KMS.
 */
export async function writePlan(
  s3: S3Client,
  target: { bucket: string; kmsKeyArn: string; prefix?: string },
  plan: BatchPlan,
  round = 0,
): Promise<{ bucket: string; key: string; versionId?: string }> {
  const name = round === 0 ? "plan.json" : `plan-round-${round}.json`;
  const key = `${target.prefix ?? planRoot}batch_id=${plan.batchId}/${name}`;
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: key,
      Body: JSON.stringify(plan),
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: target.kmsKeyArn,
    }),
  );
  return { bucket: target.bucket, key, ...(put.VersionId ? { versionId: put.VersionId } : {}) };
}

/** A plan as writePlan wrote it, from exactly the version written. */
export async function readPlan(
  s3: S3Client,
  ref: { bucket: string; key: string; versionId?: string },
): Promise<BatchPlan> {
  const o = await s3.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
  );
  const plan = JSON.parse(await o.Body!.transformToString("utf-8")) as BatchPlan;
  if (!plan || typeof plan.batchId !== "string" || !Array.isArray(plan.mappers)) {
    throw new Error(`s3://${ref.bucket}/${ref.key} is not a batch plan`);
  }
  return plan;
}
