// The distributed mutex (seed 000's MutexClient, ported from the DynamoDB Lock Client) with fencing
// tokens and a faster take-over of dead holders. Design and safety argument: docs/lock.md.
import { randomUUID } from "node:crypto";
import { LockAbortedError, LockConfigError, LockLostError, LockTimeoutError } from "./errors";
import { LeaseRenewer } from "./leaseRenewer";
import { Lock } from "./lock";
import { isStale, LockRecord, msUntilStale } from "./lockRecord";
import { GrantCondition, LockStore } from "./lockStore";
import { MutexKey } from "./mutexKey";
import { MutexClientOptions, ResolvedMutexOptions, resolveMutexOptions } from "./options";
import { jitteredWaitMs, monotonicMs, sleep, wallMs } from "./timing";

export interface AcquireOptions {
  /** Stops waiting: acquireLock then rejects with a LockAbortedError (and holds nothing). */
  signal?: AbortSignal;
}

/** The outcome of one grant attempt: a lock, or the item as it stands now. */
type Attempt = { lock: Lock } | { lock?: undefined; current: LockRecord | undefined };

/** How long we have been watching one record version (the seed's stale rule). */
interface Watch {
  rvn: string;
  sinceMonotonicMs: number;
}

export class MutexClient {
  readonly options: Readonly<ResolvedMutexOptions>;
  private readonly store: LockStore;
  private readonly renewers = new WeakMap<Lock, LeaseRenewer>();
  private readonly releases = new WeakMap<Lock, Promise<boolean>>();
  private readonly issued = new WeakSet<Lock>();

  constructor(options: MutexClientOptions = {}) {
    this.options = resolveMutexOptions(options);
    this.store = new LockStore(this.options);
  }

  /**
   * One try, no waiting: takes the lock if it is free (absent or released) or stale by its stored lease,
   * else returns undefined.
   */
  async tryAcquireLock(key: MutexKey): Promise<Lock | undefined> {
    const first = await this.attempt(key, { kind: "free" });
    if (first.lock) return first.lock;
    const seen = first.current;
    if (seen && this.takeable(seen, undefined)) {
      const second = await this.attempt(key, { kind: "observed", rvn: seen.rvn });
      return second.lock;
    }
    return undefined;
  }

  /**
   * Waits for the lock, polling every refreshWaitTime (plus jitter), and takes it once free or stale.
   * Returns undefined after maxTimeout; rejects with LockAbortedError if `signal` aborts, and with a
   * LockStoreError (LockThrottledError when throttled) if DynamoDB fails.
   */
  async acquireLock(key: MutexKey, { signal }: AcquireOptions = {}): Promise<Lock | undefined> {
    const deadline = monotonicMs() + this.options.maxTimeoutMs;
    let condition: GrantCondition = { kind: "free" };
    let watch: Watch | undefined;
    for (;;) {
      this.throwIfAborted(key, signal);
      const attempt = await this.attempt(key, condition);
      if (attempt.lock) {
        if (signal?.aborted) {
          await this.releaseLock(attempt.lock);
          this.throwIfAborted(key, signal);
        }
        return attempt.lock;
      }
      let current = attempt.current;
      // Wait until the item is free or stale, then try again conditioned on what we saw.
      for (;;) {
        if (current === undefined) {
          condition = { kind: "free" };
          break;
        }
        if (watch?.rvn !== current.rvn) watch = { rvn: current.rvn, sinceMonotonicMs: monotonicMs() };
        const watchedForMs = monotonicMs() - watch.sinceMonotonicMs;
        if (this.takeable(current, watchedForMs)) {
          condition = { kind: "observed", rvn: current.rvn };
          break;
        }
        const remainingMs = deadline - monotonicMs();
        if (remainingMs <= 0) return undefined;
        const untilStaleMs = msUntilStale(current, wallMs(), this.options.clockSkewMs, watchedForMs);
        const waitMs = Math.min(jitteredWaitMs(this.options.refreshWaitMs), untilStaleMs + 1, remainingMs);
        try {
          await sleep(waitMs, signal);
        } catch {
          this.throwIfAborted(key, signal);
        }
        current = await this.store.read(key);
      }
    }
  }

  /**
   * Releases a lock we hold. Returns false, changing nothing, if it is no longer ours (taken over, or the
   * item is gone); the lock's signal then carries the LockLostError. Releasing twice is harmless.
   */
  releaseLock(lock: Lock): Promise<boolean> {
    if (!this.issued.has(lock)) {
      return Promise.reject(new LockConfigError("releaseLock: this lock was granted by another MutexClient"));
    }
    let pending = this.releases.get(lock);
    if (!pending) {
      pending = this.release(lock);
      this.releases.set(lock, pending);
      // A failed release (DynamoDB error) may be retried by calling releaseLock again.
      pending.catch(() => this.releases.delete(lock));
    }
    return pending;
  }

  /**
   * Acquires the lock (waiting up to maxTimeout), runs `fn(lock)` and always releases. Throws
   * LockTimeoutError if the lock was not acquired, and LockLostError if `fn` finished but the lock had
   * been taken over meanwhile (its work was not exclusive: treat it as failed). Watch `lock.signal` in
   * long work to stop as soon as the lock is lost.
   */
  async withLock<T>(
    key: MutexKey,
    fn: (lock: Lock) => Promise<T> | T,
    options: AcquireOptions = {},
  ): Promise<T> {
    const lock = await this.acquireLock(key, options);
    if (!lock) throw new LockTimeoutError(key.hash, this.options.maxTimeoutMs / 1000);
    let result: T;
    try {
      result = await fn(lock);
    } catch (e) {
      await this.releaseLock(lock).catch(() => undefined);
      throw e;
    }
    await this.releaseOrThrow(lock);
    return result;
  }

  private async releaseOrThrow(lock: Lock): Promise<void> {
    if (await this.releaseLock(lock)) return;
    const reason = lock.signal.reason;
    throw reason instanceof LockLostError
      ? reason
      : new LockLostError(lock.key.hash, "taken", lock.fencingToken);
  }

  private async release(lock: Lock): Promise<boolean> {
    await this.renewers.get(lock)?.stop();
    const outcome = await this.store.release(lock.key, lock.owner, lock.rvn, randomUUID(), wallMs());
    lock.markReleased();
    if (outcome.ok) return true;
    lock.lose(outcome.current ? "taken" : "missing");
    return false;
  }

  /** One conditional grant. A DynamoDB failure is thrown typed, after undoing a grant that may have landed. */
  private async attempt(key: MutexKey, condition: GrantCondition): Promise<Attempt> {
    const sentMonotonic = monotonicMs();
    const sentWall = wallMs();
    const lease = {
      owner: this.options.clientName,
      rvn: randomUUID(),
      leaseDurationMs: this.options.leaseMs,
      leaseExpiresAtMs: sentWall + this.options.leaseMs,
    };
    let outcome;
    try {
      outcome = await this.store.grant(key, lease, condition, sentWall);
    } catch (e) {
      await this.undoUncertainGrant(key, lease.rvn, e);
      throw e;
    }
    if (!outcome.ok) return { current: outcome.current };
    const lock = new Lock(
      key,
      lease.owner,
      outcome.record.fencingToken,
      {
        rvn: lease.rvn,
        leaseExpiresAtMs: lease.leaseExpiresAtMs,
        deadlineMonotonicMs: sentMonotonic + lease.leaseDurationMs,
      },
      (l) => this.releaseOrThrow(l),
    );
    this.issued.add(lock);
    if (this.options.autoRenew) {
      this.renewers.set(
        lock,
        new LeaseRenewer(lock, this.store, this.options.leaseMs, this.options.refreshWaitMs),
      );
    }
    return { lock };
  }

  /**
   * A failed grant may still have been written (a timeout or a lost response; a request DynamoDB refused
   * outright, such as a throttled one, was not). Release it, conditioned on the RVN we tried to write, so
   * the key is free at once; if that fails too, the item's lease simply expires.
   */
  private async undoUncertainGrant(key: MutexKey, attemptedRvn: string, error: unknown): Promise<void> {
    const refused = (error as { cause?: { $fault?: string } }).cause?.$fault === "client";
    if (refused) return;
    await this.store
      .release(key, this.options.clientName, attemptedRvn, randomUUID(), wallMs())
      .catch(() => undefined);
  }

  private takeable(record: LockRecord, watchedForMs: number | undefined): boolean {
    return !record.held || isStale(record, wallMs(), this.options.clockSkewMs, watchedForMs);
  }

  private throwIfAborted(key: MutexKey, signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new LockAbortedError(key.hash, signal.reason);
  }
}
