// The lock item as stored in DynamoDB, and the rules that read it: when it is stale, and which fencing
// token the next grant gets. See docs/lock.md for why these rules are safe.
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { LockError } from "./errors";

/** What one read (or a failed conditional write's ALL_OLD) told us about a lock item. */
export interface LockRecord {
  owner: string;
  /** Record version number: a fresh UUID on every write (grant, renewal, release). */
  rvn: string;
  fencingToken: number;
  /** False once its holder released it; the item stays, keeping the fencing counter. */
  held: boolean;
  leaseDurationMs: number;
  /** Epoch milliseconds on the writer's clock. */
  leaseExpiresAtMs: number;
}

/** Non-key attribute names. Fixed: only the key and TTL names are options (seed 000). */
export const attr = {
  owner: "owner",
  rvn: "rvn",
  fencingToken: "fencingToken",
  held: "held",
  leaseDurationMs: "leaseDurationMs",
  leaseExpiresAtMs: "leaseExpiresAtMs",
} as const;

/**
 * How long after a lease ends the TTL may delete the item. Only clean-up: nothing depends on when (or
 * whether) DynamoDB deletes it, but a long grace keeps the fencing counter across idle periods.
 */
export const ttlGraceSeconds = 24 * 3600;

/**
 * The fencing counter of a newly created lock item starts at wall-clock microseconds; every later grant
 * adds one to the stored counter (the item is kept, marked released, when its holder lets go). So when
 * the item is gone (TTL deleted an abandoned lock long after its lease, or someone deleted it), the new
 * item's tokens still start above every token granted before, unless the old item saw more than 1000
 * grants per millisecond of its life (impossible: grants are sequential conditional writes, each a
 * DynamoDB round trip) or the two creators' clocks disagree by more than the item's lifetime plus the
 * 24 h TTL grace. Fits a JavaScript safe integer until the year 2255.
 */
export function fencingFloor(nowMs: number): number {
  return Math.floor(nowMs) * 1000;
}

export function ttlFor(leaseExpiresAtMs: number): number {
  return Math.ceil(leaseExpiresAtMs / 1000) + ttlGraceSeconds;
}

/**
 * A held lock is stale (may be taken over, conditionally on its RVN) when either
 * - its stored lease expiry plus the clock-skew allowance has passed on our wall clock, or
 * - we have watched the same RVN for its whole lease plus the allowance on our monotonic clock (the
 *   seed's rule; it needs no clock agreement and bounds the wait if the holder's clock runs far ahead).
 */
export function isStale(
  record: LockRecord,
  nowWallMs: number,
  clockSkewMs: number,
  watchedForMs: number | undefined,
): boolean {
  if (!record.held) return false;
  if (nowWallMs >= record.leaseExpiresAtMs + clockSkewMs) return true;
  return watchedForMs !== undefined && watchedForMs >= record.leaseDurationMs + clockSkewMs;
}

/** Milliseconds until `record` becomes stale by either rule (0 if it already is). */
export function msUntilStale(
  record: LockRecord,
  nowWallMs: number,
  clockSkewMs: number,
  watchedForMs: number,
): number {
  const byExpiry = record.leaseExpiresAtMs + clockSkewMs - nowWallMs;
  const byWatching = record.leaseDurationMs + clockSkewMs - watchedForMs;
  return Math.max(0, Math.min(byExpiry, byWatching));
}

export function encodeRecord(record: LockRecord): Record<string, AttributeValue> {
  return {
    [attr.owner]: { S: record.owner },
    [attr.rvn]: { S: record.rvn },
    [attr.fencingToken]: { N: String(record.fencingToken) },
    [attr.held]: { BOOL: record.held },
    [attr.leaseDurationMs]: { N: String(record.leaseDurationMs) },
    [attr.leaseExpiresAtMs]: { N: String(record.leaseExpiresAtMs) },
  };
}

/** Reads a lock item; undefined if absent. An item of another shape is reported, never guessed at. */
export function decodeRecord(item: Record<string, AttributeValue> | undefined): LockRecord | undefined {
  if (!item || Object.keys(item).length === 0) return undefined;
  const owner = item[attr.owner]?.S;
  const rvn = item[attr.rvn]?.S;
  const fencingToken = Number(item[attr.fencingToken]?.N);
  const held = item[attr.held]?.BOOL;
  const leaseDurationMs = Number(item[attr.leaseDurationMs]?.N);
  const leaseExpiresAtMs = Number(item[attr.leaseExpiresAtMs]?.N);
  if (
    owner === undefined ||
    rvn === undefined ||
    held === undefined ||
    !Number.isSafeInteger(fencingToken) ||
    !Number.isFinite(leaseDurationMs) ||
    !Number.isFinite(leaseExpiresAtMs)
  ) {
    throw new LockError(`lock item has unexpected attributes: ${Object.keys(item).sort().join(", ")}`);
  }
  return { owner, rvn, fencingToken, held, leaseDurationMs, leaseExpiresAtMs };
}
