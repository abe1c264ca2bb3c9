// A granted lock as its holder sees it. Its signal aborts (with a LockLostError) the moment the holder
// must stop relying on it: a renewal found another holder or no item, or the lease ran out on the
// holder's own monotonic clock before a renewal succeeded.
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
  /** Aborts with a LockLostError when the lock is lost; never on a normal release. */
  readonly signal: AbortSignal;
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
    this.signal = this.controller.signal;
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

  /** True while the lock is neither released nor lost. */
  get held(): boolean {
    return !this.released && !this.signal.aborted;
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
    this.grant = grant;
    this.renewalFailure = undefined;
    if (!this.signal.aborted && !this.released) this.armExpiry();
  }

  /** @internal A renewal failed (throttled, network); the cause of the loss if the lease then runs out. */
  renewalFailed(error: unknown): void {
    this.renewalFailure = error;
  }

  /** @internal The lock is no longer ours (or no longer safely ours): tell the holder at once. */
  lose(reason: LockLossReason, cause?: unknown): void {
    this.clearExpiry();
    if (!this.signal.aborted) {
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
