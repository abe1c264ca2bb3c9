// Forgets a batch's subjects in one lake object, under the object's mutex, leaving no version behind:
//  1. validate the message (JSON, known mapper, object inside the mapper's location) and read the
//     manifest; any problem is a typed, non-retryable ForgetError and nothing is read from the lake;
//  2. take the object's lock (waiting no longer than the caller can afford);
//  3. work from the version list until it is clean: the current version is purged (conditional write,
//     the lock's fencing token recorded on the new version; refused when the current one records a
//     higher token), then every other version holding a matching row is deleted, whatever its ETag
//     (identical bytes, copies, the `null` version, a crashed run's leftovers, versions under a delete
//     marker); a version that appeared meanwhile starts another pass;
//  4. before every write and every delete, the lock must still be held: a holder that lost its lease
//     stops without touching the object.
// Nothing matching anywhere: nothing is written or deleted. A `delete-object` mapper's object is
// deleted whole instead, every version (./deleteSubjectObject.ts).
import type { S3Client } from "@aws-sdk/client-s3";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { DataMapper, deletesObjects } from "../../contracts/mappers";
import type { PurgeObjectMessage } from "../../contracts/messages";
import { Lock, LockAbortedError, MutexClient, MutexKey } from "../../lock";
import { keyMatcher, KeyMatcher, MatchSpecError } from "../../subjects/matcher";
import { purgeObject } from "../../purge/objectPurge";
import type { PurgeOptions, RowMasking } from "../../formats/lakeFormat";
import type { SubjectHasher } from "../../subjects/subjectHash";
import { scanObjectVersion } from "../../purge/objectPurge";
import { readManifest as readManifestFromS3, ManifestError } from "../manifest";
import { deleteObjectUnderLock } from "./deleteSubjectObject";
import { asEngineRefusal } from "./engineErrors";
import { ForgetError, invalidMessage, lockBusy } from "./errors";
import { fencingMetadata, recordedFencingToken } from "./fencing";
import { validatePurgeMessage } from "./message";
import { headObject, listKeyVersions, versionGone } from "../../purge/s3Objects";

export interface ForgetHooks {
  /** After the current version was read and purged in memory, before the conditional write. */
  beforeWrite?: (versionId: string | undefined) => Promise<void>;
  afterWrite?: (versionId: string | undefined) => Promise<void>;
  beforeDelete?: (versionId: string) => Promise<void>;
  afterDelete?: (versionId: string) => Promise<void>;
}

export interface ForgetDeps {
  s3: S3Client;
  mutex: MutexClient;
  mappers: readonly DataMapper[];
  /** How long the caller can still run (Lambda: context.getRemainingTimeInMillis). */
  remainingTimeMs?: () => number;
  /** Of that time, what the purge itself needs once the lock is granted (default 60 s). */
  workReserveMs?: number;
  /**
   * Objects of formats read whole (CSV; not Parquet nor JSON Lines, which stream) larger than this are
   * refused (the function's memory); default no limit.
   */
  maxObjectBytes?: number;
  purgeOptions?: PurgeOptions;
  readManifest?: (s3: S3Client, ref: PurgeObjectMessage["manifest"]) => Promise<string[][]>;
  /** Passes over the version list before giving up on a key that keeps changing (default 5). */
  maxPasses?: number;
  hooks?: ForgetHooks;
  /** The stack's subject hasher: a `mask` mapper's hashed columns need it. */
  subjectHasher?: () => Promise<SubjectHasher>;
}

/** A message checked and its manifest read: everything needed before the lock is taken. */
export interface PreparedPurge {
  message: PurgeObjectMessage;
  mapper: DataMapper;
  matcher: KeyMatcher;
  subjects: string[][];
}

export interface ForgetReport {
  batchId: string;
  mapper: string;
  bucket: string;
  key: string;
  round: number;
  /** "purged": a version was written or deleted; "no-match": no version held a matching row. */
  status: "purged" | "no-match";
  rowsRemoved: number;
  versionsWritten: string[];
  versionsDeleted: string[];
  /** Versions scanned and found clean (kept). */
  versionsKept: number;
  bytesIn: number;
  bytesOut: number;
  /** Bytes GET from the versions purged (footer, key columns, row groups with matches): at most bytesIn. */
  bytesRead: number;
  fencingToken: number;
  /** Conditional writes that lost to another writer and were redone on the newer version. */
  conflictsRetried: number;
  passes: number;
}

export const defaultWorkReserveMs = 60_000;

export async function prepareObjectPurge(
  input: unknown,
  deps: Pick<ForgetDeps, "s3" | "mappers" | "readManifest">,
): Promise<PreparedPurge> {
  const { message, mapper } = validatePurgeMessage(input, deps.mappers);
  let subjects: string[][];
  try {
    subjects = await (deps.readManifest ?? readManifestFromS3)(deps.s3, message.manifest);
  } catch (err) {
    throw manifestFailure(err, message);
  }
  let matcher: KeyMatcher;
  try {
    matcher = keyMatcher(mapper.idColumns, subjects);
  } catch (err) {
    if (err instanceof MatchSpecError) {
      throw invalidMessage(
        "manifest-corrupt",
        `manifest s3://${message.manifest.bucket}/${message.manifest.key} does not fit mapper "${mapper.name}" ` +
          `(${mapper.idColumns.length} ID column(s)): ${err.message}`,
      );
    }
    throw err;
  }
  return { message, mapper, matcher, subjects };
}

/** Validates, locks and purges one object; see the file comment. */
export async function purgeLakeObject(input: unknown, deps: ForgetDeps): Promise<ForgetReport> {
  return purgePrepared(await prepareObjectPurge(input, deps), deps);
}

export async function purgePrepared(prepared: PreparedPurge, deps: ForgetDeps): Promise<ForgetReport> {
  const { bucket, key } = prepared.message.object;
  const label = `s3://${bucket}/${key}`;
  const lock = await acquireObjectLock(deps, bucket, key, label);
  try {
    // A delete-object mapper's object is a subject's own: every version goes, nothing is read.
    const underLock = deletesObjects(prepared.mapper) ? deleteObjectUnderLock : purgeUnderLock;
    return await underLock(prepared, lock, deps, label);
  } finally {
    await deps.mutex.releaseLock(lock).catch(() => undefined);
  }
}

/** The mutex item naming one lake object. */
export function objectLockKey(bucket: string, key: string): MutexKey {
  return new MutexKey(`lake-object#${bucket}`, key.length <= 1024 ? key : key.slice(0, 1024));
}

async function acquireObjectLock(
  deps: ForgetDeps,
  bucket: string,
  key: string,
  label: string,
): Promise<Lock> {
  const reserve = deps.workReserveMs ?? defaultWorkReserveMs;
  const waitMs = deps.remainingTimeMs ? Math.max(0, deps.remainingTimeMs() - reserve) : undefined;
  const signal = waitMs === undefined ? undefined : AbortSignal.timeout(Math.max(1, waitMs));
  let lock: Lock | undefined;
  try {
    lock = await deps.mutex.acquireLock(objectLockKey(bucket, key), { signal });
  } catch (err) {
    if (err instanceof LockAbortedError) throw lockBusy(label, err);
    throw err;
  }
  if (!lock) throw lockBusy(label);
  return lock;
}

/** A report of nothing done yet on one object, under the lock whose fencing token it carries. */
export function startedReport(
  o: { batchId: string; mapper?: string; round?: number },
  bucket: string,
  key: string,
  fencingToken: number,
): ForgetReport {
  return {
    batchId: o.batchId,
    mapper: o.mapper!,
    bucket,
    key,
    round: o.round ?? 0,
    status: "no-match",
    rowsRemoved: 0,
    versionsWritten: [],
    versionsDeleted: [],
    versionsKept: 0,
    bytesIn: 0,
    bytesOut: 0,
    bytesRead: 0,
    fencingToken,
    conflictsRetried: 0,
    passes: 0,
  };
}

async function purgeUnderLock(
  prepared: PreparedPurge,
  lock: Lock,
  deps: ForgetDeps,
  label: string,
): Promise<ForgetReport> {
  const { s3, hooks = {} } = deps;
  const { message, matcher, mapper } = prepared;
  const { bucket, key } = message.object;
  const token = lock.fencingToken;
  const report = startedReport(message, bucket, key, token);
  const guard = (what: string) => {
    if (!lock.held) {
      throw new ForgetError(
        "lease-lost",
        `${label}: the object's lock was lost before ${what}; nothing more is done`,
        true,
        {
          cause: lock.signal.reason,
        },
      );
    }
  };
  // Versions are immutable: once scanned (or written by us) a version id is known clean for this run.
  const clean = new Set<string>();
  const maxPasses = deps.maxPasses ?? 5;

  for (let pass = 1; pass <= maxPasses; pass++) {
    report.passes = pass;
    const list = await listKeyVersions(s3, bucket, key);
    const latest = list.latest;
    if (latest && !latest.deleteMarker && !clean.has(latest.versionId)) {
      const outcome = await purgeCurrent(latest.versionId);
      if (outcome !== "clean") continue; // wrote or lost a race: the list has changed
      clean.add(latest.versionId);
      report.versionsKept++;
    }
    for (const v of list.all) {
      if (v.deleteMarker || v === latest || clean.has(v.versionId)) continue;
      if (await holdsMatches(v.versionId)) {
        await hooks.beforeDelete?.(v.versionId);
        guard(`deleting version ${v.versionId}`);
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v.versionId }));
        report.versionsDeleted.push(v.versionId);
        await hooks.afterDelete?.(v.versionId);
      } else {
        clean.add(v.versionId);
        report.versionsKept++;
      }
    }
    const after = await listKeyVersions(s3, bucket, key);
    const settled =
      after.latest?.versionId === latest?.versionId &&
      after.all.every((v) => v.deleteMarker || clean.has(v.versionId));
    if (settled) {
      if (report.versionsWritten.length || report.versionsDeleted.length) report.status = "purged";
      return report;
    }
  }
  throw new ForgetError(
    "conflict",
    `${label}: the object kept changing during ${maxPasses} passes over its versions; retried later`,
    true,
  );

  async function holdsMatches(versionId: string): Promise<boolean> {
    try {
      const v = await headObject(s3, bucket, key, versionId);
      refuseTooLarge(v.size, mapper.format);
      const found = await scanObjectVersion(s3, v, mapper, matcher);
      return found.matches.size > 0;
    } catch (err) {
      // Deleted since the listing (a lifecycle rule): it holds nothing, and the next listing agrees.
      if (versionGone(err)) return false;
      throw asEngineRefusal(err, `${label} version ${versionId}`);
    }
  }

  /** Purges the current version: "wrote", "conflict" (someone wrote first) or "clean" (no match). */
  async function purgeCurrent(versionId: string): Promise<"wrote" | "conflict" | "clean"> {
    const version = await headObject(s3, bucket, key, versionId);
    const recorded = recordedFencingToken(version.head);
    if (recorded > token) {
      throw new ForgetError(
        "fenced-out",
        `${label}: the current version was written under fencing token ${recorded}, newer than ours (${token}); ` +
          "this purge's lock is stale and it writes nothing",
        true,
      );
    }
    refuseTooLarge(version.size, mapper.format);
    const masking = await maskingOf(mapper);
    let result;
    try {
      result = await purgeObject(
        s3,
        {
          bucket,
          key,
          mapper,
          matcher,
          options: deps.purgeOptions,
          version,
          metadata: fencingMetadata(token, message.batchId),
          keepOtherVersions: true,
          masking,
        },
        {
          beforeWrite: async () => {
            await hooks.beforeWrite?.(versionId);
            guard("writing the purged version");
          },
        },
      );
    } catch (err) {
      throw asEngineRefusal(err, label);
    }
    if (result.status === "conflict") {
      report.conflictsRetried++;
      return "conflict";
    }
    if (result.status === "no-match") return "clean";
    // The ledger's rows are the rows erased: removed, or (a `mask` mapper) masked.
    report.rowsRemoved += result.rowsRemoved + result.rowsMasked;
    report.bytesIn += result.bytesIn;
    report.bytesOut += result.bytesOut;
    report.bytesRead += result.bytesRead;
    const written = result.after!.versionId ?? "null";
    report.versionsWritten.push(written);
    clean.add(written);
    await hooks.afterWrite?.(written);
    return "wrote";
  }

  /** A `mask` mapper's masking (docs/purge.md, "Strategies"); undefined for any other strategy. */
  async function maskingOf(m: DataMapper): Promise<RowMasking | undefined> {
    if (m.strategy !== "mask") return undefined;
    const columns = m.mask?.columns ?? {};
    if (!Object.values(columns).includes("hash")) return { columns, hashOf: () => "" };
    if (!deps.subjectHasher)
      throw new ForgetError(
        "engine-refused",
        `${label}: mapper "${m.name}" masks columns with the subject's hash, and this function has no subject hash key`,
        false,
      );
    const hasher = await deps.subjectHasher();
    return { columns, hashOf: (parts) => hasher.hash(parts) };
  }

  function refuseTooLarge(size: number, format: DataMapper["format"]): void {
    // Parquet is read a row group (or a field) at a time and JSON Lines a line at a time: only CSV,
    // parsed whole, is bounded by the function's memory.
    if (format === "parquet" || format === "jsonl" || format === "jsonl.gz") return;
    if (deps.maxObjectBytes !== undefined && size > deps.maxObjectBytes) {
      throw new ForgetError(
        "engine-refused",
        `${label}: ${size} bytes is more than this function can purge (${deps.maxObjectBytes} bytes); ` +
          "give the purge function more memory or purge the object by hand",
        false,
      );
    }
  }
}

function manifestFailure(err: unknown, message: PurgeObjectMessage): unknown {
  const where = `manifest s3://${message.manifest.bucket}/${message.manifest.key}`;
  if (err instanceof ManifestError) {
    return invalidMessage("manifest-corrupt", err.message);
  }
  if (versionGone(err)) {
    return invalidMessage("manifest-missing", `${where} does not exist`);
  }
  if (err instanceof SyntaxError)
    return invalidMessage("manifest-corrupt", `${where} is not valid JSON Lines`);
  return err;
}
