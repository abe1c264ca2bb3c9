// Forget for a `delete-object` mapper (docs/purge.md, "Strategies"): the object is a subject's own, so
// every version of it and every delete marker is deleted, under the object's lock, without reading it.
// The key must name one of the batch's subjects under the mapper's key template: a message naming any
// other object of the location deletes nothing. The listing is repeated until the key has no entry
// left (a version written meanwhile is deleted on the next pass).
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import type { Lock } from "../../lock";
import { listKeyVersions, versionGone } from "../../purge/s3Objects";
import { keyNamesSubject } from "../find/templateObjects";
import { ForgetError } from "./errors";
import { startedReport } from "./purgeLakeObject";
import type { ForgetDeps, ForgetReport, PreparedPurge } from "./purgeLakeObject";

export async function deleteObjectUnderLock(
  prepared: PreparedPurge,
  lock: Lock,
  deps: ForgetDeps,
  label: string,
): Promise<ForgetReport> {
  const { s3, hooks = {} } = deps;
  const { message, mapper, subjects } = prepared;
  const { bucket, key } = message.object;
  const report = startedReport(message, bucket, key, lock.fencingToken);
  if (!keyNamesSubject(mapper, key, subjects)) return report;
  const maxPasses = deps.maxPasses ?? 5;
  for (let pass = 1; pass <= maxPasses; pass++) {
    report.passes = pass;
    const list = await listKeyVersions(s3, bucket, key);
    if (list.all.length === 0) {
      if (report.versionsDeleted.length > 0) report.status = "purged";
      return report;
    }
    for (const v of list.all) {
      await hooks.beforeDelete?.(v.versionId);
      if (!lock.held) {
        throw new ForgetError(
          "lease-lost",
          `${label}: the object's lock was lost before deleting version ${v.versionId}; nothing more is done`,
          true,
          { cause: lock.signal.reason },
        );
      }
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v.versionId }));
      } catch (err) {
        if (!versionGone(err)) throw err; // deleted meanwhile (a lifecycle rule): gone all the same
      }
      report.versionsDeleted.push(v.versionId);
      await hooks.afterDelete?.(v.versionId);
    }
  }
  throw new ForgetError(
    "conflict",
    `${label}: versions kept appearing during ${maxPasses} passes over the key; retried later`,
    true,
  );
}
