// Leases: a dead holder is taken over once its lease (plus the clock-skew allowance) has passed, a
// holder whose clock runs far ahead cannot block a key for longer than a watched lease, and auto-renew
// keeps a live holder's lock for as long as it works, telling it at once if the lock is taken.
import { expect } from "chai";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { LockLostError, MutexKey } from "../../runtime/lock";
import { createLockTable, rawItem, sleepMs, testMutex } from "../../local/fixtures/lockTable";

describe("lock: leases, take-over and auto-renew", () => {
  const ddb = makeDynamoDbClient();
  let tableName: string;
  before(async () => {
    tableName = await createLockTable(ddb);
  });

  it("takes over a holder that died without releasing, after its lease plus the skew allowance", async () => {
    const dead = testMutex(ddb, tableName, "dead");
    const waiter = testMutex(ddb, tableName, "waiter");
    const key = new MutexKey("s3://lake/dead-holder.parquet");
    const gone = await dead.tryAcquireLock(key);
    expect(gone).to.not.equal(undefined);
    // The holder "dies": it never renews or releases. A waiter arrives most of a lease later.
    await sleepMs(900);
    expect(await waiter.tryAcquireLock(key), "not before lease + allowance").to.equal(undefined);
    const started = Date.now();
    const taken = await waiter.acquireLock(key);
    const waited = Date.now() - started;
    expect(taken, "acquired").to.not.equal(undefined);
    expect(Date.now()).to.be.at.least(gone!.leaseExpiresAt.getTime() + 200);
    expect(waited, "the seed's rule would watch a whole lease + allowance (1.2 s) from arrival").to.be.below(
      1000,
    );
    expect(taken!.fencingToken).to.be.greaterThan(gone!.fencingToken);
    expect(taken!.owner).to.equal("waiter");
    expect(gone!.signal.aborted, "the dead holder's own clock ended its lease").to.equal(true);
    expect(await waiter.releaseLock(taken!)).to.equal(true);
  });

  it("a holder whose clock runs an hour ahead is still taken over after a watched lease", async () => {
    const key = new MutexKey("s3://lake/clock-ahead.parquet");
    const now = Date.now();
    // What a holder with a clock 1 h fast writes: a lease that looks valid for another hour to everyone else.
    await ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: key.partitionKey },
          sk: { S: key.sortKey },
          owner: { S: "fast-clock" },
          rvn: { S: "rvn-of-fast-clock" },
          fencingToken: { N: String(now * 1000) },
          held: { BOOL: true },
          leaseDurationMs: { N: "1000" },
          leaseExpiresAtMs: { N: String(now + 3600_000 + 1000) },
          ttl: { N: String(Math.ceil(now / 1000) + 3600 + 86400) },
        },
      }),
    );
    const waiter = testMutex(ddb, tableName, "waiter");
    expect(await waiter.tryAcquireLock(key)).to.equal(undefined);
    const started = Date.now();
    const lock = await waiter.acquireLock(key);
    const waited = Date.now() - started;
    expect(lock).to.not.equal(undefined);
    expect(waited, "watched the same RVN for lease + allowance").to.be.within(1200, 3000);
    expect(lock!.fencingToken).to.equal(now * 1000 + 1);
    await waiter.releaseLock(lock!);
  });

  it("auto-renew keeps a holder that works for three leases, then releases", async () => {
    const holder = testMutex(ddb, tableName, "renewing", { autoRenew: true });
    const other = testMutex(ddb, tableName, "other");
    const key = new MutexKey("s3://lake/long-purge.parquet");
    const lock = await holder.tryAcquireLock(key);
    const firstRvn = lock!.rvn;
    const firstExpiry = lock!.leaseExpiresAt.getTime();
    for (let i = 0; i < 6; i++) {
      await sleepMs(500);
      expect(
        await other.tryAcquireLock(key),
        `another client got the lock after ${(i + 1) * 0.5} s`,
      ).to.equal(undefined);
    }
    expect(lock!.signal.aborted).to.equal(false);
    expect(lock!.held).to.equal(true);
    expect(lock!.rvn, "each renewal moves the RVN on").to.not.equal(firstRvn);
    expect(lock!.leaseExpiresAt.getTime()).to.be.greaterThan(firstExpiry + 1500);
    const stored = await rawItem(ddb, tableName, key.partitionKey);
    expect(stored!.rvn.S).to.equal(lock!.rvn);
    expect(Number(stored!.fencingToken.N), "renewals keep the token").to.equal(lock!.fencingToken);
    expect(await holder.releaseLock(lock!)).to.equal(true);
    expect(await other.tryAcquireLock(key)).to.not.equal(undefined);
  });

  it("a renewal that finds the lock taken aborts the holder's signal at once", async () => {
    const holder = testMutex(ddb, tableName, "renewing", { autoRenew: true, defaultLeaseDuration: 0.9 });
    const key = new MutexKey("s3://lake/stolen.parquet");
    const lock = await holder.tryAcquireLock(key);
    const lost = new Promise<number>((resolve) =>
      lock!.signal.addEventListener("abort", () => resolve(Date.now()), { once: true }),
    );
    // Someone else overwrites the item (an operator, or a take-over after a long pause of ours).
    const item = (await rawItem(ddb, tableName, key.partitionKey))!;
    const tamperedAt = Date.now();
    await ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...item, owner: { S: "intruder" }, rvn: { S: "x" } },
      }),
    );
    const abortedAt = await lost;
    expect(abortedAt - tamperedAt, "within one renewal period (lease / 3)").to.be.below(450);
    const reason = lock!.signal.reason as LockLostError;
    expect(reason).to.be.instanceOf(LockLostError);
    expect(reason.reason).to.equal("taken");
    expect(reason.fencingToken).to.equal(lock!.fencingToken);
    expect(await holder.releaseLock(lock!), "release of a lost lock reports it").to.equal(false);
    expect((await rawItem(ddb, tableName, key.partitionKey))!.owner.S).to.equal("intruder");
  });
});
