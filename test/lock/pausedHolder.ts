// Child process of frozenHolder.test.ts: takes a lock with a 0.4 s lease (auto-renewed) and then works
// in 2 ms steps, each "acting" (counted) only while `lock.held`, yielding between steps with
// setImmediate (which runs before the timers on a loop turn: a resumed process gets to act before its
// overdue expiry timer does). The parent pauses it with SIGSTOP past the lease. It prints how often it
// acted after a pause longer than its lease (must be 0) and why it lost the lock.
import { performance } from "node:perf_hooks";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { LockLostError, MutexKey } from "../../runtime/lock";
import { testMutex } from "../../local/fixtures/lockTable";

async function main(): Promise<void> {
  const mutex = testMutex(makeDynamoDbClient(), process.argv[2], "paused", { defaultLeaseDuration: 0.4 });
  const lock = (await mutex.tryAcquireLock(new MutexKey("s3://lake/paused.parquet")))!;
  process.stdout.write("acquired\n");
  let actedAfterLease = 0;
  let last = performance.now();
  const started = performance.now();
  for (;;) {
    while (performance.now() - last < 2); // a step of synchronous work
    await new Promise((r) => setImmediate(r));
    const now = performance.now();
    const gap = now - last; // longer than the lease: we were paused
    last = now;
    if (!lock.held) break;
    if (gap > 400) actedAfterLease++;
    if (now - started > 10_000) break;
  }
  const reason = lock.signal.reason;
  process.stdout.write(
    JSON.stringify({ actedAfterLease, lost: reason instanceof LockLostError ? reason.reason : "not lost" }) +
      "\n",
  );
  await mutex.releaseLock(lock).catch(() => undefined);
}

main().catch((e) => {
  process.stderr.write(String(e) + "\n");
  process.exit(1);
});
