// Mutual exclusion under contention: 20 clients x 25 critical sections on one key, each incrementing a
// counter that lives OUTSIDE the lock (a separate item, read then written back with no condition, with
// awaits in between). Lost updates or overlapping sections would show as a count below 500 or as two
// recorded [enter, exit] intervals that intersect.
import { expect } from "chai";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { MutexClient, MutexKey } from "../../runtime/lock";
import { createLockTable } from "../../local/fixtures/lockTable";

describe("lock: mutual exclusion under contention", () => {
  it("20 clients x 25 critical sections on one key end at exactly 500, never overlapping", async function () {
    // Generous: the test is about exclusion, not latency; on a loaded 2-core machine 20 contending
    // clients on one emulator can wait minutes for a turn.
    this.timeout(300_000);
    const ddb = makeDynamoDbClient();
    const tableName = await createLockTable(ddb);
    const counterKey = { pk: { S: "counter" }, sk: { S: "value" } };
    await ddb.send(new PutItemCommand({ TableName: tableName, Item: { ...counterKey, n: { N: "0" } } }));
    const key = new MutexKey("s3://lake/events/dt=2026-11-29/part-0.parquet");

    const intervals: { client: number; enter: bigint; exit: bigint; fencingToken: number }[] = [];
    let occupant: number | undefined;
    const overlaps: string[] = [];

    const worker = async (client: number) => {
      const mutex = new MutexClient({
        clientName: `worker-${client}`,
        dynamoDbClient: ddb,
        tableName,
        defaultLeaseDuration: 5,
        refreshWaitTime: 0.1,
        maxTimeout: 240,
      });
      for (let i = 0; i < 25; i++) {
        await mutex.withLock(key, async (lock) => {
          if (occupant !== undefined)
            overlaps.push(`worker-${client} entered while worker-${occupant} inside`);
          occupant = client;
          const enter = process.hrtime.bigint();
          const read = await ddb.send(
            new GetItemCommand({ TableName: tableName, Key: counterKey, ConsistentRead: true }),
          );
          const n = Number(read.Item!.n.N);
          await new Promise((r) => setImmediate(r));
          await ddb.send(
            new PutItemCommand({ TableName: tableName, Item: { ...counterKey, n: { N: String(n + 1) } } }),
          );
          const exit = process.hrtime.bigint();
          if (occupant !== client) overlaps.push(`worker-${occupant} inside when worker-${client} left`);
          occupant = undefined;
          intervals.push({ client, enter, exit, fencingToken: lock.fencingToken });
        });
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, c) => worker(c)));

    const final = await ddb.send(
      new GetItemCommand({ TableName: tableName, Key: counterKey, ConsistentRead: true }),
    );
    expect(Number(final.Item!.n.N)).to.equal(500);
    expect(overlaps).to.deep.equal([]);
    expect(intervals).to.have.length(500);
    const byEntry = [...intervals].sort((a, b) => (a.enter < b.enter ? -1 : 1));
    for (let i = 1; i < byEntry.length; i++) {
      expect(byEntry[i].enter > byEntry[i - 1].exit, `section ${i} overlaps section ${i - 1}`).to.equal(true);
      expect(byEntry[i].fencingToken).to.be.greaterThan(byEntry[i - 1].fencingToken);
    }
    expect(new Set(intervals.map((s) => s.client)).size, "every client got its turns").to.equal(20);
  });
});
