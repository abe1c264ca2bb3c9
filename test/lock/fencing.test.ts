// Fencing tokens strictly increase with every grant of a key: plain grants, re-acquire after release,
// take-overs of an expired lease, and a grant after the item was deleted as DynamoDB TTL would.
import { expect } from "chai";
import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { Lock, MutexKey } from "../../runtime/lock";
import { createLockTable, rawItem, testMutex } from "../../local/fixtures/lockTable";

describe("lock: fencing tokens", () => {
  const ddb = makeDynamoDbClient();
  let tableName: string;
  before(async () => {
    tableName = await createLockTable(ddb);
  });

  it("strictly increase across grants, releases, take-overs and a TTL deletion of the item", async () => {
    const a = testMutex(ddb, tableName, "a", { defaultLeaseDuration: 0.5, clockSkewAllowance: 0.1 });
    const b = testMutex(ddb, tableName, "b", { defaultLeaseDuration: 0.5, clockSkewAllowance: 0.1 });
    const key = new MutexKey("s3://lake/fenced.parquet");
    const grants: { how: string; lock: Lock }[] = [];
    const grant = async (how: string, lock: Lock | undefined) => {
      expect(lock, how).to.not.equal(undefined);
      grants.push({ how, lock: lock! });
      return lock!;
    };

    const first = await grant("first grant", await a.tryAcquireLock(key));
    await a.releaseLock(first);
    const again = await grant("re-acquire after release", await b.tryAcquireLock(key));
    expect(again.fencingToken, "release keeps the counter: next grant is +1").to.equal(
      first.fencingToken + 1,
    );
    await grant("take-over after lease", await a.acquireLock(key)); // b never releases
    const stored = await rawItem(ddb, tableName, key.partitionKey);
    expect(Number(stored!.ttl.N) * 1000, "TTL only after the lease, with a grace").to.be.greaterThan(
      Number(stored!.leaseExpiresAtMs.N) + 3600_000,
    );
    // The item vanishes, as DynamoDB TTL deletes an abandoned lock: the counter must not restart.
    await ddb.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { pk: { S: key.partitionKey }, sk: { S: "lock" } },
      }),
    );
    await grant("grant on a re-created item", await b.tryAcquireLock(key));
    await b.releaseLock(grants[grants.length - 1].lock);
    for (let i = 0; i < 5; i++) {
      const l = await grant(`grant ${i} in a burst`, await (i % 2 ? a : b).tryAcquireLock(key));
      await (i % 2 ? a : b).releaseLock(l);
    }

    for (let i = 1; i < grants.length; i++) {
      expect(grants[i].lock.fencingToken, `${grants[i].how} after ${grants[i - 1].how}`).to.be.greaterThan(
        grants[i - 1].lock.fencingToken,
      );
      expect(Number.isSafeInteger(grants[i].lock.fencingToken)).to.equal(true);
    }
  });

  it("separate keys have separate counters and items", async () => {
    const a = testMutex(ddb, tableName, "a");
    const one = await a.tryAcquireLock(new MutexKey("s3://lake/one.parquet"));
    const two = await a.tryAcquireLock(new MutexKey("s3://lake/one.parquet", "other-sort-key"));
    expect(one).to.not.equal(undefined);
    expect(two, "same partition key, other sort key: another lock").to.not.equal(undefined);
    expect(await a.tryAcquireLock(new MutexKey("s3://lake/one.parquet"))).to.equal(undefined);
    await a.releaseLock(one!);
    await a.releaseLock(two!);
  });
});
