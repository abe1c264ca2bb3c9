// Releasing: only the holder's own grant is released; a lock that was lost reports it and changes
// nothing; withLock and `await using` always release and refuse to pass a lost lock off as exclusive.
import { expect } from "chai";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { LockConfigError, LockLostError, LockTimeoutError, MutexKey } from "../../runtime/lock";
import { createLockTable, rawItem, sleepMs, testMutex } from "../../local/fixtures/lockTable";

describe("lock: release, withLock and await using", () => {
  const ddb = makeDynamoDbClient();
  let tableName: string;
  before(async () => {
    tableName = await createLockTable(ddb);
  });

  it("a non-holder's release changes nothing and reports it", async () => {
    const late = testMutex(ddb, tableName, "late");
    const next = testMutex(ddb, tableName, "next");
    const key = new MutexKey("s3://lake/release.parquet");
    const stale = await late.tryAcquireLock(key);
    const current = await next.acquireLock(key); // after `late`'s lease ran out
    const before = await rawItem(ddb, tableName, key.partitionKey);
    expect(await late.releaseLock(stale!), "late holder is told it no longer holds the lock").to.equal(false);
    expect(stale!.held).to.equal(false);
    expect(stale!.signal.reason).to.be.instanceOf(LockLostError);
    expect(await rawItem(ddb, tableName, key.partitionKey), "item untouched").to.deep.equal(before);
    expect(await late.tryAcquireLock(key), "still held by next").to.equal(undefined);
    expect(await next.releaseLock(current!)).to.equal(true);
    expect(await next.releaseLock(current!), "releasing twice is harmless").to.equal(true);
    expect((await rawItem(ddb, tableName, key.partitionKey))!.held.BOOL).to.equal(false);
  });

  it("a client refuses to release a lock another client was granted", async () => {
    const mine = testMutex(ddb, tableName, "mine");
    const key = new MutexKey("s3://lake/foreign.parquet");
    const lock = await mine.tryAcquireLock(key);
    const error = await testMutex(ddb, tableName, "other")
      .releaseLock(lock!)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockConfigError);
    expect((await rawItem(ddb, tableName, key.partitionKey))!.held.BOOL).to.equal(true);
    expect(await mine.releaseLock(lock!)).to.equal(true);
  });

  it("withLock runs fn with the lock, releases it, and passes errors through after releasing", async () => {
    const m = testMutex(ddb, tableName, "with");
    const key = new MutexKey("s3://lake/with.parquet");
    const result = await m.withLock(key, async (lock) => {
      expect((await rawItem(ddb, tableName, key.partitionKey))!.rvn.S).to.equal(lock.rvn);
      return lock.fencingToken;
    });
    expect(typeof result).to.equal("number");
    expect((await rawItem(ddb, tableName, key.partitionKey))!.held.BOOL).to.equal(false);
    const failure = await m
      .withLock(key, async () => {
        throw new Error("purge failed");
      })
      .catch((e: Error) => e);
    expect((failure as Error).message).to.equal("purge failed");
    expect((await rawItem(ddb, tableName, key.partitionKey))!.held.BOOL, "released after fn threw").to.equal(
      false,
    );
  });

  it("withLock throws LockLostError when fn outlived its lease and was taken over", async () => {
    const slow = testMutex(ddb, tableName, "slow", { defaultLeaseDuration: 0.5, clockSkewAllowance: 0.1 });
    const fast = testMutex(ddb, tableName, "fast");
    const key = new MutexKey("s3://lake/slow.parquet");
    let takenBy: number | undefined;
    const error = await slow
      .withLock(key, async (lock) => {
        const other = await fast.acquireLock(key);
        takenBy = other!.fencingToken;
        expect(lock.signal.aborted, "our own clock told us first").to.equal(true);
      })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockLostError);
    expect(takenBy).to.be.a("number");
    expect((await rawItem(ddb, tableName, key.partitionKey))!.owner.S).to.equal("fast");
  });

  it("withLock throws LockTimeoutError when the lock stays held past maxTimeout", async () => {
    const holder = testMutex(ddb, tableName, "holder", { defaultLeaseDuration: 5 });
    const waiter = testMutex(ddb, tableName, "waiter", { maxTimeout: 0.3 });
    const key = new MutexKey("s3://lake/busy.parquet");
    const held = await holder.tryAcquireLock(key);
    let ran = false;
    const error = await waiter
      .withLock(key, () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockTimeoutError);
    expect(ran).to.equal(false);
    await holder.releaseLock(held!);
  });

  it("`await using` releases at the end of the scope", async () => {
    const m = testMutex(ddb, tableName, "scoped");
    const key = new MutexKey("s3://lake/scoped.parquet");
    {
      await using lock = await m.acquireLock(key);
      expect(lock).to.not.equal(undefined);
      expect((await rawItem(ddb, tableName, key.partitionKey))!.held.BOOL).to.equal(true);
    }
    expect((await rawItem(ddb, tableName, key.partitionKey))!.held.BOOL).to.equal(false);
  });

  it("`await using` throws LockLostError at scope end when the lock was taken over", async () => {
    const slow = testMutex(ddb, tableName, "slow", { defaultLeaseDuration: 0.3, clockSkewAllowance: 0.05 });
    const fast = testMutex(ddb, tableName, "fast");
    const key = new MutexKey("s3://lake/scoped-lost.parquet");
    const run = async () => {
      await using lock = await slow.acquireLock(key);
      expect(lock).to.not.equal(undefined);
      await sleepMs(400);
      await fast.acquireLock(key);
    };
    const error = await run().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockLostError);
  });
});
