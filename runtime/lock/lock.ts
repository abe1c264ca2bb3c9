// A granted lock as its holder sees it. Its signal aborts (with a LockLostError) the moment the holder
// must stop relying on it: a renewal found another holder or no item, or the lease ran out on the
// holder's own monotonic clock before a renewal succeeded. The lease is checked against the monotonic
// clock whenever `held`, `signal` or `assertHeld()` is read, not only when a timer fires: a holder
// whose event loop was blocked or whose process was paused past its lease sees the loss on its very
// next check, before the expiry timer (which is itself late) has had a chance to run.
import { LockLossReason, LockLostError } from "./errors";
import { MutexKey } from "./mutexKey";
import { backgroundTimer, monotonicMs } from "./timing";

/** One successful grant or renewal, as recorded by the holder. */
export interface LeaseGrant {
  rvn: string;
  /** Stored expiry, epoch ms (the holder's wall clock when it sent the write, plus the lease). */
  leaseExpiresAtMs: number;
  /** Monotonic time the holder must stop by: when it sent the write, plus the lease. */
  deadlineMonotonicMs: number;
}

export class Lock implements AsyncDisposable {
  private readonly controller = new AbortController();
  private grant: LeaseGrant;
  private expiryTimer: NodeJS.Timeout | undefined;
  private released = false;
  private renewalFailure: unknown;

  /** @internal Built by MutexClient only. */
  constructor(
    readonly key: MutexKey,
    readonly owner: string,
    /** Strictly increases with every grant of this key (take-overs included): give it to the resource. */
    readonly fencingToken: number,
    grant: LeaseGrant,
    private readonly dispose: (lock: Lock) => Promise<void>,
  ) {
    this.grant = grant;
    this.armExpiry();
  }

  /** Record version number of the latest write by this holder (moves on with every renewal). */
  get rvn(): string {
    return this.grant.rvn;
  }

  /** When the lease ends unless renewed, as stored in the lock item. */
  get leaseExpiresAt(): Date {
    return new Date(this.grant.leaseExpiresAtMs);
  }

  /**
   * Aborts with a LockLostError when the lock is lost; never on a normal release. Reading it checks the
   * lease first, so a lease that ran out while the holder was frozen is aborted here already.
   */
  get signal(): AbortSignal {
    this.checkLease();
    return this.controller.signal;
  }

  /** True while the lock is neither released nor lost, its lease checked on the monotonic clock now. */
  get held(): boolean {
    this.checkLease();
    return !this.released && !this.controller.signal.aborted;
  }

  /**
   * Throws unless the lock is held right now: the LockLostError of the loss, or one with reason
   * "released". Call it just before every write the lock protects.
   */
  assertHeld(): void {
    if (this.held) return;
    const reason: unknown = this.controller.signal.reason;
    if (reason instanceof LockLostError) throw reason;
    throw new LockLostError(this.key.hash, "released", this.fencingToken);
  }

  /** Milliseconds of lease left on this holder's own clock (0 once it ran out). */
  remainingLeaseMs(): number {
    return Math.max(0, this.grant.deadlineMonotonicMs - monotonicMs());
  }

  /** Releases the lock at the end of an `await using` scope; throws LockLostError if it was taken over. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose(this);
  }

  /** @internal A renewal landed. Kept even after a loss so that release can still clear our item. */
  renewed(grant: LeaseGrant): void {
    // A lease that ran out before this renewal's answer was seen stays lost, even if the renewal was
    // sent in time: the holder may already have been told (or may have acted on `held` meanwhile).
    this.checkLease();
    this.grant = grant;
    this.renewalFailure = undefined;
    if (!this.controller.signal.aborted && !this.released) this.armExpiry();
  }

  /** @internal A renewal failed (throttled, network); the cause of the loss if the lease then runs out. */
  renewalFailed(error: unknown): void {
    this.renewalFailure = error;
  }

  /** @internal The lock is no longer ours (or no longer safely ours): tell the holder at once. */
  lose(reason: LockLossReason, cause?: unknown): void {
    this.clearExpiry();
    if (!this.controller.signal.aborted) {
      this.controller.abort(new LockLostError(this.key.hash, reason, this.fencingToken, cause));
    }
  }

  /** @internal */
  markReleased(): void {
    this.released = true;
    this.clearExpiry();
  }

  /** @internal */
  get isReleased(): boolean {
    return this.released;
  }

  /** The lease ran out on our clock (whether or not the expiry timer has fired yet): the lock is lost. */
  private checkLease(): void {
    if (this.released || this.controller.signal.aborted) return;
    if (monotonicMs() >= this.grant.deadlineMonotonicMs) this.lose("expired", this.renewalFailure);
  }

  private armExpiry(): void {
    this.clearExpiry();
    this.expiryTimer = backgroundTimer(this.remainingLeaseMs(), () => {
      if (!this.released) this.lose("expired", this.renewalFailure);
    });
  }

  private clearExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }
}
