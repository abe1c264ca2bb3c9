// What a retention run of one data mapper would erase, read before anything is touched: one listing of
// every version under the mapper's location, then per object
//  - "drop": its date partition is entirely older than the cutoff (every version goes, none is read),
//    or the scan of its current version by the time column finds every row older (every version goes,
//    as a wholly older partition's objects do, rather than an empty object being written);
//  - "purge": its partition straddles the cutoff (or it has no date partition) and its current version
//    holds rows older than the cutoff by the time column (only that column is read): it goes through the
//    forget path with a time predicate;
//  - kept: a partition entirely newer (not read), or no older row.
// With the requests and bytes it would cost. `lethe retention plan` prints it; runRetention (run.ts)
// carries it out.
import { ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../../contracts/mappers";
import {
  dayMs,
  partitionDay,
  retentionCutoff,
  retentionPartitionColumn,
  RetentionRule,
} from "../../contracts/retention";
import { olderThanMatcher } from "../../subjects/olderThan";
import { scanObjectVersion } from "../../purge/objectPurge";
import { headObject } from "../../purge/s3Objects";

export interface RetentionObjectPlan {
  key: string;
  action: "drop" | "purge";
  /** The date partition's value, when the key has one. */
  partition?: string;
  /** Bytes of the current version (0 when the current entry is a delete marker). */
  bytes: number;
  /** Versions (and delete markers) the key has now. */
  versions: number;
  /** Read objects: rows of the current version, and those older than the cutoff. */
  rows?: number;
  rowsExpired?: number;
  /**
   * A "drop" decided by the time column (every row of the current version older): the version scanned.
   * The run drops the key only while this is still its current version; otherwise it purges instead.
   */
  scannedVersionId?: string;
}

/** Requests and bytes the run would cost, and their price at S3 Standard list prices (us-east-1). */
export interface RetentionCost {
  listRequests: number;
  getRequests: number;
  putRequests: number;
  deleteRequests: number;
  /** Bytes read by the purges (each rewritten object's current version and its older versions). */
  bytesRead: number;
  /** Bytes written (upper bound: the current versions of the rewritten objects). */
  bytesWrittenAtMost: number;
  requestsUsd: number;
}

export interface RetentionPlan {
  mapper: string;
  now: string;
  cutoff: string;
  rule: RetentionRule;
  /** Date partitions entirely older than the cutoff: every object in them is dropped unread. */
  partitionsDropped: string[];
  objects: RetentionObjectPlan[];
  objectsKept: number;
  /** Rows known to go (read objects); a wholly older partition's objects are not read, nor counted. */
  rowsEstimate: number;
  /** Bytes of the current versions of every object that goes or is rewritten. */
  bytes: number;
  cost: RetentionCost;
}

/** S3 Standard request prices, us-east-1 (per 1,000): PUT/COPY/POST/LIST, and GET/HEAD. DELETE is free. */
export const s3RequestUsdPer1000 = { putOrList: 0.005, get: 0.0004 } as const;

interface KeyVersions {
  versions: number;
  /** The current entry's size; undefined when it is a delete marker. */
  currentSize?: number;
}

/** Every key under the location with its version count and current size, in one paginated listing. */
async function listLocation(s3: S3Client, bucket: string, prefix: string) {
  const keys = new Map<string, KeyVersions>();
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
      }),
    );
    pages++;
    for (const v of page.Versions ?? []) {
      if (!v.Key || v.Key.endsWith("/")) continue;
      const k = keys.get(v.Key) ?? { versions: 0 };
      k.versions++;
      if (v.IsLatest) k.currentSize = v.Size ?? 0;
      keys.set(v.Key, k);
    }
    for (const m of page.DeleteMarkers ?? []) {
      if (!m.Key || m.Key.endsWith("/")) continue;
      const k = keys.get(m.Key) ?? { versions: 0 };
      k.versions++;
      keys.set(m.Key, k);
    }
    if (!page.IsTruncated) return { keys, pages };
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
}

/** The value of partition `column` in `key` (a `column=value/` segment after the prefix). */
export function partitionValue(key: string, prefix: string, column: string): string | undefined {
  for (const segment of key.slice(prefix.length).split("/").slice(0, -1)) {
    const eq = segment.indexOf("=");
    if (eq > 0 && segment.slice(0, eq) === column) return decodeURIComponent(segment.slice(eq + 1));
  }
  return undefined;
}

export class NoRetentionRuleError extends Error {
  constructor(mapper: string) {
    super(`data mapper "${mapper}" declares no retention (add retention: {days, timeColumn?} to it)`);
    this.name = "NoRetentionRuleError";
  }
}

export async function planRetention(s3: S3Client, mapper: DataMapper, now: Date): Promise<RetentionPlan> {
  const rule = mapper.retention;
  if (!rule) throw new NoRetentionRuleError(mapper.name);
  const cutoff = retentionCutoff(rule, now);
  const { bucket, prefix } = parseS3Location(mapper.location);
  const partitionColumn = retentionPartitionColumn(rule, mapper.partitionColumns);
  const matcher = rule.timeColumn ? olderThanMatcher(rule.timeColumn, cutoff) : undefined;
  const { keys, pages } = await listLocation(s3, bucket, prefix);
  const objects: RetentionObjectPlan[] = [];
  const dropped = new Set<string>();
  let objectsKept = 0;
  let scanGets = 0;
  let scanBytes = 0;
  for (const [key, k] of [...keys].sort(([a], [b]) => a.localeCompare(b))) {
    const partition = partitionColumn ? partitionValue(key, prefix, partitionColumn) : undefined;
    const day = partition === undefined ? undefined : partitionDay(partition);
    const bytes = k.currentSize ?? 0;
    if (day && day.getTime() + dayMs <= cutoff.getTime()) {
      objects.push({ key, action: "drop", partition, bytes, versions: k.versions });
      dropped.add(partition!);
      continue;
    }
    if ((day && day.getTime() >= cutoff.getTime()) || !matcher || k.currentSize === undefined) {
      objectsKept++;
      continue;
    }
    const version = await headObject(s3, bucket, key);
    const scan = await scanObjectVersion(s3, version, mapper, matcher);
    scanGets += 3; // HEAD, footer, the time column's chunks (Parquet; the whole object otherwise)
    scanBytes += bytes;
    const rowsExpired = [...scan.matches.values()].reduce((a, b) => a + b, 0);
    if (rowsExpired === 0) {
      objectsKept++;
      continue;
    }
    // Every row older: the whole object goes, every version, as in a wholly older partition; nothing
    // is written. The scanned version id lets the run check that nothing newer was written since.
    const whole = rowsExpired >= scan.rows && version.versionId !== undefined;
    objects.push({
      key,
      action: whole ? "drop" : "purge",
      ...(whole ? { scannedVersionId: version.versionId } : {}),
      partition,
      bytes,
      versions: k.versions,
      rows: scan.rows,
      rowsExpired,
    });
  }
  const purges = objects.filter((o) => o.action === "purge");
  const versionsRead = purges.reduce((n, o) => n + o.versions, 0);
  const cost: RetentionCost = {
    // The plan's listing, then per object its version list twice (before and after) and the verify's.
    listRequests: pages + 3 * objects.length,
    // Per version of a purged object: HEAD, footer and data reads; the plan's scans.
    getRequests: scanGets + 3 * versionsRead,
    putRequests: purges.length,
    // Every version of a dropped object; at most every version of a rewritten one (those holding old rows).
    deleteRequests: objects.reduce((n, o) => n + o.versions, 0),
    bytesRead: scanBytes + purges.reduce((n, o) => n + o.bytes * o.versions, 0),
    bytesWrittenAtMost: purges.reduce((n, o) => n + o.bytes, 0),
    requestsUsd: 0,
  };
  cost.requestsUsd =
    ((cost.listRequests + cost.putRequests) * s3RequestUsdPer1000.putOrList +
      cost.getRequests * s3RequestUsdPer1000.get) /
    1000;
  return {
    mapper: mapper.name,
    now: now.toISOString(),
    cutoff: cutoff.toISOString(),
    rule,
    partitionsDropped: [...dropped].sort(),
    objects,
    objectsKept,
    rowsEstimate: objects.reduce((n, o) => n + (o.rowsExpired ?? 0), 0),
    bytes: objects.reduce((n, o) => n + o.bytes, 0),
    cost,
  };
}
