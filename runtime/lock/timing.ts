// Clocks and waits. Lease deadlines a holder enforces on itself use the monotonic clock (immune to wall
// clock steps); stored lease expiries are wall-clock epoch milliseconds, compared across machines.
import { performance } from "node:perf_hooks";

export const monotonicMs = (): number => performance.now();
export const wallMs = (): number => Date.now();

/**
 * A poll wait: the seed waits refreshWaitTime plus up to 2 s of jitter so clients in lock step drift
 * apart; we scale the jitter with refreshWaitTime (up to 2 x it), which is the seed's rule at the default
 * of 1 s and keeps short waits short.
 */
export function jitteredWaitMs(refreshWaitMs: number, random: () => number = Math.random): number {
  return refreshWaitMs * (1 + 2 * random());
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A timer that never keeps the process alive on its own (lease upkeep must not block a Lambda's exit). */
export function backgroundTimer(ms: number, fn: () => void): NodeJS.Timeout {
  const timer = setTimeout(fn, Math.max(0, ms));
  timer.unref();
  return timer;
}
