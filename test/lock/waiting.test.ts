// Waiting: acquireLock gives up after maxTimeout with undefined, and a caller's abort signal stops the
// wait at once without leaving a grant behind.
import { expect } from "chai";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { LockAbortedError, MutexKey } from "../../runtime/lock";
import { createLockTable, rawItem, testMutex } from "../../local/fixtures/lockTable";

describe("lock: maxTimeout and abort", () => {
  const ddb = makeDynamoDbClient();
  let tableName: string;
  const key = new MutexKey("s3://lake/contended.parquet");
  before(async () => {
    tableName = await createLockTable(ddb);
    await testMutex(ddb, tableName, "holder", { defaultLeaseDuration: 30 }).tryAcquireLock(key);
  });

  it("returns undefined once maxTimeout has passed", async () => {
    const waiter = testMutex(ddb, tableName, "waiter", { maxTimeout: 0.6, refreshWaitTime: 0.05 });
    const started = Date.now();
    expect(await waiter.acquireLock(key)).to.equal(undefined);
    expect(Date.now() - started).to.be.within(600, 1100);
  });

  it("maxTimeout 0 tries once", async () => {
    const waiter = testMutex(ddb, tableName, "waiter", { maxTimeout: 0 });
    const started = Date.now();
    expect(await waiter.acquireLock(key)).to.equal(undefined);
    expect(Date.now() - started).to.be.below(300);
  });

  it("an abort signal ends the wait with LockAbortedError carrying the reason", async () => {
    const waiter = testMutex(ddb, tableName, "waiter", { maxTimeout: 30, refreshWaitTime: 1 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("Lambda is about to time out")), 200);
    const error = await waiter.acquireLock(key, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockAbortedError);
    expect(((error as LockAbortedError).cause as Error).message).to.equal("Lambda is about to time out");
    expect(Date.now() - started, "not after the next poll (1-3 s away)").to.be.below(600);
  });

  it("an already aborted signal writes nothing", async () => {
    const waiter = testMutex(ddb, tableName, "waiter");
    const free = new MutexKey("s3://lake/free.parquet");
    const error = await waiter.acquireLock(free, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockAbortedError);
    expect(await rawItem(ddb, tableName, free.partitionKey)).to.equal(undefined);
  });
});
