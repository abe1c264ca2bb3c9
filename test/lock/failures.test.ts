// DynamoDB failures surface as typed errors, and never leave a lock that nobody believes they hold
// without a lease that will expire. Faults are injected by middleware on a real client talking to moto.
import { expect } from "chai";
import { DynamoDBClient, ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { LockError, LockLostError, LockStoreError, LockThrottledError, MutexKey } from "../../runtime/lock";
import { createLockTable, rawItem, testMutex } from "../../local/fixtures/lockTable";

type Fault = "throttle" | "network" | "lostResponse";

/** A client on the emulator whose calls of `command` (all when unset) fail as told, until `fault` is cleared. */
function faultyClient() {
  const client = makeDynamoDbClient();
  const control: { fault?: Fault; command?: string; count: number } = { count: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const hit = control.fault && (!control.command || context.commandName === control.command);
      if (!hit) return next(args);
      control.count++;
      if (control.fault === "throttle") {
        throw new ProvisionedThroughputExceededException({ message: "Rate exceeded", $metadata: {} });
      }
      if (control.fault === "lostResponse") {
        await next(args); // DynamoDB applied it ...
        control.fault = undefined; // ... once, and the response never arrived.
      }
      throw Object.assign(new Error("socket hang up"), { name: "TimeoutError", code: "ECONNRESET" });
    },
    { step: "initialize", name: "injectFault" },
  );
  return { client, control };
}

describe("lock: DynamoDB failures", () => {
  const ddb = makeDynamoDbClient();
  let tableName: string;
  before(async () => {
    tableName = await createLockTable(ddb);
  });

  it("a throttled acquire throws LockThrottledError naming the key by hash only", async () => {
    const { client, control } = faultyClient();
    control.fault = "throttle";
    const m = testMutex(client, tableName, "throttled");
    const key = new MutexKey("customer-4711@example.com");
    const error = await m.acquireLock(key).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockThrottledError);
    expect(error).to.be.instanceOf(LockStoreError);
    expect(error).to.be.instanceOf(LockError);
    const e = error as LockThrottledError;
    expect(e.operation).to.equal("acquire");
    expect((e.cause as Error).name).to.equal("ProvisionedThroughputExceededException");
    expect(e.message).to.contain(key.hash).and.not.contain("4711");
    expect(String(key)).to.not.contain("4711");
    control.fault = undefined;
    expect(await rawItem(ddb, tableName, key.partitionKey), "nothing written").to.equal(undefined);
  });

  it("an unreachable endpoint throws LockStoreError (not throttling)", async () => {
    const unreachable = new DynamoDBClient({
      endpoint: "http://127.0.0.1:9",
      region: "eu-west-1",
      maxAttempts: 1,
    });
    const error = await testMutex(unreachable, tableName, "offline")
      .tryAcquireLock(new MutexKey("s3://lake/offline.parquet"))
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockStoreError);
    expect(error).to.not.be.instanceOf(LockThrottledError);
  });

  it("a grant whose response was lost is undone, so the key is free at once", async () => {
    const { client, control } = faultyClient();
    const key = new MutexKey("s3://lake/lost-response.parquet");
    control.fault = "lostResponse";
    control.command = "UpdateItemCommand";
    const error = await testMutex(client, tableName, "unlucky", { defaultLeaseDuration: 30 })
      .acquireLock(key)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockStoreError);
    expect((error as LockStoreError).operation).to.equal("acquire");
    const stored = await rawItem(ddb, tableName, key.partitionKey);
    expect(stored!.owner.S, "the grant did land").to.equal("unlucky");
    expect(stored!.held.BOOL, "and was released by the failed caller").to.equal(false);
    const other = await testMutex(ddb, tableName, "other").tryAcquireLock(key);
    expect(other, "free without waiting out a 30 s lease").to.not.equal(undefined);
  });

  it("a throttled poll while waiting throws LockThrottledError from the read", async () => {
    const key = new MutexKey("s3://lake/held-for-poll.parquet");
    const held = await testMutex(ddb, tableName, "holder", { defaultLeaseDuration: 10 }).tryAcquireLock(key);
    const { client, control } = faultyClient();
    control.fault = "throttle";
    control.command = "GetItemCommand";
    const error = await testMutex(client, tableName, "poller")
      .acquireLock(key)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockThrottledError);
    expect((error as LockThrottledError).operation).to.equal("read");
    expect(held!.held).to.equal(true);
  });

  it("renewals that keep failing end the lease on the holder's clock, with the failure as cause", async () => {
    const { client, control } = faultyClient();
    const m = testMutex(client, tableName, "renewer", { autoRenew: true, defaultLeaseDuration: 0.9 });
    const key = new MutexKey("s3://lake/renew-throttled.parquet");
    const lock = await m.tryAcquireLock(key);
    control.fault = "throttle";
    control.command = "UpdateItemCommand";
    const abortedAt = await new Promise<number>((resolve) =>
      lock!.signal.addEventListener("abort", () => resolve(Date.now()), { once: true }),
    );
    expect(control.count, "renewal was retried").to.be.at.least(2);
    expect(abortedAt, "not before the lease ran out").to.be.at.least(lock!.leaseExpiresAt.getTime() - 20);
    const reason = lock!.signal.reason as LockLostError;
    expect(reason.reason).to.equal("expired");
    expect(reason.cause).to.be.instanceOf(LockThrottledError);
    control.fault = undefined;
    expect(await m.releaseLock(lock!), "nobody took it: our item is released").to.equal(true);
  });
});
