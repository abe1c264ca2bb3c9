// Typed errors of the lock module. Messages name a key only by its hash (MutexKey.hash): lock keys can
// be S3 object keys or anything else a caller chooses, including values that identify a customer.

/** Base class: every error this module throws or puts on a lock's signal is a LockError. */
export class LockError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A MutexClient option or a MutexKey is invalid. */
export class LockConfigError extends LockError {}

/** A DynamoDB call failed (network, service error, access denied, missing table ...); `cause` is the SDK error. */
export class LockStoreError extends LockError {
  constructor(
    /** The lock operation that failed: acquire, read, renew or release. */
    readonly operation: LockOperation,
    readonly keyHash: string,
    cause: unknown,
  ) {
    super(`lock ${operation} on key ${keyHash} failed: ${describeCause(cause)}`, { cause });
  }
}

/** DynamoDB refused the call for capacity (throttling) even after the SDK's own retries. */
export class LockThrottledError extends LockStoreError {}

/** Why a held lock stopped being ours (LockLostError.reason). */
export type LockLossReason =
  /** Another holder's write replaced ours (a take-over after our lease looked stale). */
  | "taken"
  /** The lock item is gone (deleted by hand or by TTL long after the lease ended). */
  | "missing"
  /**
   * Our lease ran out on our own clock before a renewal succeeded (auto-renew off, DynamoDB failing, or
   * the holder's event loop blocked or its process paused past the lease).
   */
  | "expired"
  /** Only from `Lock.assertHeld()`: the holder released the lock and then tried to use it. */
  | "released";

/**
 * The lock is no longer safely held. Put on `lock.signal` as its abort reason the moment this is known,
 * and thrown by `withLock` / `await using` when the release found that another holder had taken over.
 */
export class LockLostError extends LockError {
  constructor(
    readonly keyHash: string,
    readonly reason: LockLossReason,
    readonly fencingToken: number,
    cause?: unknown,
  ) {
    super(`lock on key ${keyHash} (fencing token ${fencingToken}) lost: ${reason}`, { cause });
  }
}

/** `withLock` could not acquire the lock within maxTimeout. */
export class LockTimeoutError extends LockError {
  constructor(
    readonly keyHash: string,
    readonly waitedSeconds: number,
  ) {
    super(`lock on key ${keyHash} not acquired within ${waitedSeconds} s (maxTimeout)`);
  }
}

/** The caller's AbortSignal fired while acquireLock was waiting; `cause` is the signal's reason. */
export class LockAbortedError extends LockError {
  constructor(
    readonly keyHash: string,
    cause: unknown,
  ) {
    super(`acquiring lock on key ${keyHash} aborted by the caller`, { cause });
  }
}

export type LockOperation = "acquire" | "read" | "renew" | "release";

const throttlingNames = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

/** Wraps an SDK failure in the matching typed error. */
export function storeError(operation: LockOperation, keyHash: string, cause: unknown): LockStoreError {
  const name = (cause as { name?: unknown } | undefined)?.name;
  return typeof name === "string" && throttlingNames.has(name)
    ? new LockThrottledError(operation, keyHash, cause)
    : new LockStoreError(operation, keyHash, cause);
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
