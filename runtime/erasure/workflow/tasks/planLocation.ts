// What the find and verify tasks hand on as `$.plan`: where the round's plan is on S3 and its summary
// in counts and bytes (the approval message lists the numbers; no ID ever travels in the state).
import type { S3Client } from "@aws-sdk/client-s3";
import type { BatchPlan, PlanDeps, PlanSummary } from "../../plan";
import { summarisePlan, writePlan } from "../../plan";
import type { DataMapper } from "../../../contracts/mappers";
import type { Finder } from "../../find/finder";
import type { BatchTables } from "../../batches";

export interface S3Location {
  bucket: string;
  key: string;
  versionId?: string;
}

export interface PlanLocation {
  batchId: string;
  round: number;
  location: S3Location;
  objects: number;
  versions: number;
  expectedRows: number;
  bytesScanned: number;
  mappers: number;
}

/** Where plans are written: the lake bucket, SSE-KMS with the stack key. */
export interface PlanTarget {
  bucket: string;
  kmsKeyArn: string;
}

/** What find and verify both need: the tables, the lake, the engine, the index and where plans go. */
export interface FindingDeps extends BatchTables {
  s3: S3Client;
  finder: Finder;
  index?: PlanDeps["index"];
  mappers: DataMapper[];
  planTarget: PlanTarget;
  now?: () => Date;
}

export function planLocation(
  batchId: string,
  round: number,
  location: S3Location,
  s: PlanSummary,
): PlanLocation {
  return {
    batchId,
    round,
    location,
    objects: s.objects,
    versions: s.versions,
    expectedRows: s.expectedRows,
    bytesScanned: s.bytesScanned,
    mappers: s.mappers.length,
  };
}

export async function writeRoundPlan(
  s3: S3Client,
  target: PlanTarget,
  plan: BatchPlan,
  round: number,
): Promise<PlanLocation> {
  const ref = await writePlan(s3, target, plan, round);
  return planLocation(plan.batchId, round, ref, summarisePlan(plan));
}

/** Counts of a summary for `steps.<step>.counts`. */
export function summaryCounts(s: PlanSummary): Record<string, number> {
  return {
    objects: s.objects,
    versions: s.versions,
    expectedRows: s.expectedRows,
    bytesScanned: s.bytesScanned,
    mappers: s.mappers.length,
  };
}

export function clock(deps: { now?: () => Date }): () => Date {
  return deps.now ?? (() => new Date());
}
