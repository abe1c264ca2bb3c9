// A retention run of one data mapper, through the forget path (runtime/erasure/forget/): the plan
// (plan.ts), then per object under its DynamoDB mutex
//  - "drop": every version and delete marker of the key is deleted, none read (its partition is
//    entirely older than the cutoff, or the plan's scan found every row of its current version older:
//    then only while that version is still current, else it is purged instead);
//  - "purge": purgePrepared with the time predicate (runtime/subjects/olderThan.ts) as its matcher:
//    the current version rewritten without the older rows (conditional write, fencing token), then
//    every other version still holding an older row deleted;
// each outcome recorded in the ledger under the run's batch id (`retention-<mapper>-<run>`), a done
// object skipped when the same run is repeated; then verified (no version of a dropped key left, no
// version of a rewritten key holding an older row) and reported (report.ts). A run is idempotent and
// the next one plans afresh, so an object left by a busy lock is taken up by the next run.
import { DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { DataMapper } from "../../contracts/mappers";
import { MutexClient } from "../../lock";
import { olderThanMatcher } from "../../subjects/olderThan";
import type { KeyMatcher } from "../../subjects/matcher";
import { headObject, listKeyVersions, versionGone } from "../../purge/s3Objects";
import { scanObjectVersion } from "../../purge/objectPurge";
import type { PurgeOptions } from "../../formats/lakeFormat";
import {
  ForgetError,
  ForgetLedger,
  ForgetReport,
  isDone,
  isForgetError,
  lockBusy,
  objectLockKey,
  ObjectRef,
  purgePrepared,
  startedReport,
} from "../forget";
import { planRetention, RetentionObjectPlan, RetentionPlan } from "./plan";

export interface RetentionDeps {
  s3: S3Client;
  mutex: MutexClient;
  ledger: ForgetLedger;
  purgeOptions?: PurgeOptions;
  /** Attempts per object when its lock is busy or a writer races the purge (default 3). */
  attempts?: number;
}

export interface RetentionObjectOutcome {
  key: string;
  action: "drop" | "purge";
  partition?: string;
  outcome: "erased" | "nothing-to-do" | "already-done" | "failed";
  rowsRemoved: number;
  versionsDeleted: number;
  versionsWritten: number;
  /** After the run: no version of a dropped key, no version of a rewritten key holding an older row. */
  verified: boolean;
  /** Why it failed or did not verify (names the object, never a row's values). */
  problem?: string;
}

export interface RetentionRun {
  runId: string;
  batchId: string;
  plan: RetentionPlan;
  objects: RetentionObjectOutcome[];
  startedAt: string;
  finishedAt: string;
}

/** The run's id from its time: `20261207T210000Z`. */
export function retentionRunId(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

export function retentionBatchId(mapper: string, runId: string): string {
  return `retention-${mapper}-${runId}`;
}

export async function runRetention(
  deps: RetentionDeps,
  mapper: DataMapper,
  now: Date,
): Promise<RetentionRun> {
  const startedAt = new Date().toISOString();
  const plan = await planRetention(deps.s3, mapper, now);
  const runId = retentionRunId(now);
  const batchId = retentionBatchId(mapper.name, runId);
  const matcher = mapper.retention?.timeColumn
    ? olderThanMatcher(mapper.retention.timeColumn, new Date(plan.cutoff))
    : undefined;
  const bucket = mapper.location.replace(/^s3:\/\//, "").split("/")[0];
  const objects: RetentionObjectOutcome[] = [];
  for (const o of plan.objects) {
    const ref: ObjectRef = { batchId, round: 0, bucket, key: o.key, mapper: mapper.name };
    objects.push(await eraseOne(deps, mapper, ref, o, matcher));
  }
  // The run's summary item (counters only, no sweep settles it) expires with its object items.
  if (objects.length) await deps.ledger.expireSummary(batchId);
  return { runId, batchId, plan, objects, startedAt, finishedAt: new Date().toISOString() };
}

async function eraseOne(
  deps: RetentionDeps,
  mapper: DataMapper,
  ref: ObjectRef,
  o: RetentionObjectPlan,
  matcher: KeyMatcher | undefined,
): Promise<RetentionObjectOutcome> {
  const base = { key: o.key, action: o.action, ...(o.partition ? { partition: o.partition } : {}) };
  const prior = await deps.ledger.get(ref);
  if (isDone(prior)) {
    const verify = await verifyObject(deps.s3, mapper, ref, o, matcher);
    return {
      ...base,
      outcome: "already-done",
      rowsRemoved: prior!.rowsRemoved ?? 0,
      versionsDeleted: prior!.versionsDeleted?.length ?? 0,
      versionsWritten: prior!.versionsWritten?.length ?? 0,
      ...verify,
    };
  }
  let report: ForgetReport | undefined;
  let error: ForgetError | undefined;
  const attempts = deps.attempts ?? 3;
  let action = o.action;
  for (let attempt = 1; attempt <= attempts && !report; attempt++) {
    try {
      if (action === "drop") {
        report = await dropEveryVersion(deps, ref, o);
        // Written to since the plan's scan: its rows are no longer known all older, so purge it.
        if (!report) action = "purge";
      }
      if (!report)
        report = await purgePrepared(
          {
            message: {
              batchId: ref.batchId,
              mapper: mapper.name,
              object: { bucket: ref.bucket, key: ref.key, versionIds: [] },
              // A retention run has no subjects: its matcher is the time predicate, not a manifest.
              manifest: { bucket: ref.bucket, key: "" },
            },
            mapper,
            matcher: matcher!,
            subjects: [],
          },
          { s3: deps.s3, mutex: deps.mutex, mappers: [mapper], purgeOptions: deps.purgeOptions },
        );
    } catch (err) {
      if (!isForgetError(err)) throw err;
      error = err;
      if (!err.retryable) break;
    }
  }
  if (!report) {
    await deps.ledger.recordFailure(ref, error!.kind, error!.message, prior);
    return {
      ...base,
      outcome: "failed",
      rowsRemoved: 0,
      versionsDeleted: 0,
      versionsWritten: 0,
      verified: false,
      problem: error!.message,
    };
  }
  await deps.ledger.recordSuccess(report, prior);
  return {
    ...base,
    action,
    outcome: report.status === "purged" ? "erased" : "nothing-to-do",
    rowsRemoved: report.rowsRemoved,
    versionsDeleted: report.versionsDeleted.length,
    versionsWritten: report.versionsWritten.length,
    ...(await verifyObject(deps.s3, mapper, ref, { ...o, action }, matcher)),
  };
}

/**
 * Deletes every version and delete marker of the key under its mutex, reading none. With
 * `o.scannedVersionId` (the plan found every row of that version older), only while it is still the
 * current version, in one pass: a version written since is a producer's newer data, not deleted
 * unread; undefined when the key changed since the plan (the caller purges it instead).
 */
async function dropEveryVersion(
  deps: RetentionDeps,
  ref: ObjectRef,
  o: Pick<RetentionObjectPlan, "scannedVersionId" | "rowsExpired">,
): Promise<ForgetReport | undefined> {
  const scannedVersionId = o.scannedVersionId;
  const label = `s3://${ref.bucket}/${ref.key}`;
  const lock = await deps.mutex.acquireLock(objectLockKey(ref.bucket, ref.key));
  if (!lock) throw lockBusy(label);
  const report = startedReport(ref, ref.bucket, ref.key, lock.fencingToken);
  try {
    // A version written meanwhile (a late producer) is caught by the next pass.
    for (let pass = 1; pass <= 5; pass++) {
      report.passes = pass;
      const list = await listKeyVersions(deps.s3, ref.bucket, ref.key);
      if (scannedVersionId !== undefined && pass === 1) {
        const current = list.latest;
        if (!current || current.deleteMarker || current.versionId !== scannedVersionId) return undefined;
        // The rows the scan found in it; the older versions' rows go unread.
        report.rowsRemoved = o.rowsExpired ?? 0;
      }
      if (list.all.length === 0 || (scannedVersionId !== undefined && pass > 1)) {
        if (report.versionsDeleted.length) report.status = "purged";
        return report;
      }
      for (const v of list.all) {
        if (!lock.held)
          throw new ForgetError(
            "lease-lost",
            `${label}: the object's lock was lost; nothing more is done`,
            true,
          );
        await deps.s3.send(
          new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: v.versionId }),
        );
        report.versionsDeleted.push(v.versionId);
      }
    }
    throw new ForgetError("conflict", `${label}: versions kept appearing while it was dropped`, true);
  } finally {
    await deps.mutex.releaseLock(lock).catch(() => undefined);
  }
}

/** The verify pass of one object, after its erasure. */
async function verifyObject(
  s3: S3Client,
  mapper: DataMapper,
  ref: ObjectRef,
  o: RetentionObjectPlan,
  matcher: KeyMatcher | undefined,
): Promise<{ verified: boolean; problem?: string }> {
  const list = await listKeyVersions(s3, ref.bucket, ref.key);
  // An object dropped by its rows is verified as a rewritten one: a producer's version written after
  // the drop's listing may stay, if it holds no older row.
  if (o.action === "drop" && o.scannedVersionId === undefined) {
    return list.all.length === 0
      ? { verified: true }
      : { verified: false, problem: `${list.all.length} version(s) of the dropped object remain` };
  }
  const holding: string[] = [];
  for (const v of list.all) {
    if (v.deleteMarker) continue;
    try {
      const version = await headObject(s3, ref.bucket, ref.key, v.versionId);
      const scan = await scanObjectVersion(s3, version, mapper, matcher!);
      if (scan.matches.size > 0) holding.push(v.versionId);
    } catch (err) {
      if (!versionGone(err)) throw err;
    }
  }
  return holding.length === 0
    ? { verified: true }
    : { verified: false, problem: `${holding.length} version(s) still hold rows older than the cutoff` };
}
