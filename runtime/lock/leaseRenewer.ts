// Auto-renew: extends a held lease every third of its duration with a write conditioned on our owner and
// RVN. A renewal that finds the lock taken (or gone) aborts the lock's signal at once; one that fails
// (throttled, network) is retried after a jittered wait until the lease runs out on our own clock, when
// the lock's expiry timer aborts the signal instead. The holder is never left believing a lost lock.
import { randomUUID } from "node:crypto";
import { Lock } from "./lock";
import { LockStore } from "./lockStore";
import { backgroundTimer, jitteredWaitMs, monotonicMs, wallMs } from "./timing";

export class LeaseRenewer {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly lock: Lock,
    private readonly store: LockStore,
    private readonly leaseMs: number,
    private readonly refreshWaitMs: number,
  ) {
    this.schedule(this.periodMs());
  }

  /** Stops renewing; resolves once a renewal already on the wire has settled (release must wait for it). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }

  /** A third of the lease, less up to 10 % of jitter: two renewals can fail before the lease runs out. */
  private periodMs(): number {
    return (this.leaseMs / 3) * (0.9 + 0.1 * Math.random());
  }

  private schedule(ms: number): void {
    if (this.stopped || !this.lock.held) return;
    this.timer = backgroundTimer(ms, () => {
      this.inFlight = this.renewOnce();
    });
  }

  private async renewOnce(): Promise<void> {
    if (this.stopped || !this.lock.held) return;
    const sentMonotonic = monotonicMs();
    const lease = {
      owner: this.lock.owner,
      rvn: randomUUID(),
      leaseDurationMs: this.leaseMs,
      leaseExpiresAtMs: wallMs() + this.leaseMs,
    };
    try {
      const outcome = await this.store.renew(this.lock.key, this.lock.rvn, lease);
      if (outcome.ok) {
        this.lock.renewed({
          rvn: lease.rvn,
          leaseExpiresAtMs: lease.leaseExpiresAtMs,
          deadlineMonotonicMs: sentMonotonic + this.leaseMs,
        });
        this.schedule(this.periodMs());
      } else {
        this.lock.lose(outcome.current ? "taken" : "missing");
      }
    } catch (e) {
      this.lock.renewalFailed(e);
      const retryMs = Math.min(jitteredWaitMs(this.refreshWaitMs), this.lock.remainingLeaseMs() / 2);
      this.schedule(retryMs);
    }
  }
}
