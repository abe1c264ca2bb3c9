// Benchmark of the DynamoDB mutex (runtime/lock) against the local emulator (started here unless
// AWS_ENDPOINT_URL names one). Prints uncontended acquire+release latency (median, p99) next to a plain
// PutItem round trip measured in the same run, and contended throughput on one key and over 100 keys.
// Run: npm run bench:lock   (or: npx ts-node --transpile-only bench/lock.ts)
import { performance } from "node:perf_hooks";
import { PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { startLocalEmulator, useLocalEmulator, LocalEmulator } from "../local/emulator";
import { makeDynamoDbClient } from "../runtime/aws/clients";
import { MutexClient, MutexKey } from "../runtime/lock";
import { createLockTable } from "../local/fixtures/lockTable";
import { sized } from "./smoke";

const uncontendedRounds = sized(300, 5);
const clients = sized(20, 3);
const contendedSeconds = sized(8, 1);
const refreshWaitTime = 0.05;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(samples: number[]): { median: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

const ms = (v: number) => `${v.toFixed(2)} ms`;

async function main(): Promise<void> {
  let emulator: LocalEmulator | undefined;
  if (!process.env.AWS_ENDPOINT_URL) {
    emulator = await startLocalEmulator();
    useLocalEmulator(emulator.endpoint);
  }
  try {
    const ddb = makeDynamoDbClient();
    const tableName = await createLockTable(ddb, "lethe-bench-locks");
    let calls = 0;
    ddb.middlewareStack.add((next) => (args) => (calls++, next(args)), {
      step: "initialize",
      name: "countCalls",
    });
    const mutex = (name: string) =>
      new MutexClient({ clientName: name, dynamoDbClient: ddb, tableName, refreshWaitTime, maxTimeout: 60 });

    // References on the same table: a plain PutItem, and a conditional UpdateItem shaped like a grant.
    const timeRounds = async (call: (i: number) => Promise<unknown>): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < uncontendedRounds + 20; i++) {
        const t = performance.now();
        await call(i);
        if (i >= 20) samples.push(performance.now() - t); // the first 20 warm up
      }
      return samples;
    };
    const reference = await timeRounds((i) =>
      ddb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: "reference" }, sk: { S: "item" }, n: { N: String(i) } },
        }),
      ),
    );
    const conditionalReference = await timeRounds((i) =>
      ddb.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: "reference" }, sk: { S: "item" } },
          UpdateExpression: "SET #n = :n, #o = :o, #r = :r, #e = :e",
          ConditionExpression: "attribute_not_exists(#pk) OR #n < :n",
          ExpressionAttributeNames: { "#pk": "pk", "#n": "n", "#o": "owner", "#r": "rvn", "#e": "exp" },
          ExpressionAttributeValues: {
            ":n": { N: String(1000 + i) },
            ":o": { S: "bench" },
            ":r": { S: `rvn-${i}` },
            ":e": { N: String(Date.now()) },
          },
          ReturnValues: "ALL_NEW",
        }),
      ),
    );

    const solo = mutex("solo");
    const key = new MutexKey("s3://lake/bench/uncontended.parquet");
    const lockTimes = await timeRounds(async () => {
      const lock = await solo.tryAcquireLock(key);
      if (!lock || !(await solo.releaseLock(lock))) throw new Error("uncontended acquire/release failed");
    });

    const contended = async (keys: MutexKey[]) => {
      const deadline = performance.now() + contendedSeconds * 1000;
      const callsBefore = calls;
      let grants = 0;
      let lastToken = new Map<string, number>();
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          const m = mutex(`worker-${c}`);
          while (performance.now() < deadline) {
            const k = keys[Math.floor(Math.random() * keys.length)];
            await m.withLock(k, (lock) => {
              const previous = lastToken.get(k.hash) ?? 0;
              if (lock.fencingToken <= previous) throw new Error("fencing token went backwards");
              lastToken.set(k.hash, lock.fencingToken);
              grants++;
            });
          }
        }),
      );
      lastToken = new Map();
      return { perSecond: grants / contendedSeconds, callsPerGrant: (calls - callsBefore) / grants };
    };
    const oneKey = await contended([new MutexKey("s3://lake/bench/hot.parquet")]);
    const hundredKeys = await contended(
      Array.from({ length: 100 }, (_, i) => new MutexKey(`s3://lake/bench/part-${i}.parquet`)),
    );

    const ref = summary(reference);
    const cond = summary(conditionalReference);
    const lock = summary(lockTimes);
    console.log(`lock benchmark (${emulator ? "moto, started here" : process.env.AWS_ENDPOINT_URL})`);
    console.log(
      `reference PutItem round trip:        median ${ms(ref.median)}, p99 ${ms(ref.p99)} (n=${reference.length})`,
    );
    console.log(
      `reference conditional UpdateItem:    median ${ms(cond.median)}, p99 ${ms(cond.p99)}; ` +
        `2 of them (the floor for acquire+release) ${ms(2 * cond.median)}`,
    );
    console.log(
      `uncontended acquire+release:         median ${ms(lock.median)}, p99 ${ms(lock.p99)} (n=${lockTimes.length}); ` +
        `${(lock.median / (2 * cond.median)).toFixed(2)} x two conditional UpdateItems`,
    );
    console.log(
      `contended, 1 key, ${clients} clients:        ${oneKey.perSecond.toFixed(1)} grants/s, ` +
        `${oneKey.callsPerGrant.toFixed(1)} DynamoDB calls per grant ` +
        `(refreshWaitTime ${refreshWaitTime} s, ${contendedSeconds} s run); ideal serial 1000/median = ${(1000 / lock.median).toFixed(1)}/s`,
    );
    console.log(
      `contended, 100 keys, ${clients} clients:     ${hundredKeys.perSecond.toFixed(1)} grants/s, ` +
        `${hundredKeys.callsPerGrant.toFixed(1)} calls per grant; ` +
        `${(hundredKeys.perSecond / oneKey.perSecond).toFixed(1)} x one key`,
    );
  } finally {
    await emulator?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
