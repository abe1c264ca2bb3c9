// Benchmark of the stores beyond the lake, on this machine: subjects erased per second from
// PostgreSQL (10,000 IDs against a table of 1,000,000 rows, without and with an index on the ID
// column; one transaction, the store's own code, connection secret from the emulator's Secrets
// Manager) and from DynamoDB (moto, the local emulator: a figure for the code path, not for AWS).
// Run: npm run bench:stores   (BENCH_PG_ROWS, BENCH_PG_SUBJECTS, BENCH_DDB_SUBJECTS override the sizes)
import { performance } from "node:perf_hooks";
import { BatchWriteItemCommand, DeleteTableCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { startLocalEmulator, useLocalEmulator, LocalEmulator } from "../local/emulator";
import { makeDynamoDbClient, makeSecretsManagerClient } from "../runtime/aws/clients";
import { postgresStore } from "../runtime/stores/postgres";
import { dynamoDbStore } from "../runtime/stores/dynamodb";
import { secretReader } from "../runtime/stores/secrets";
import {
  connectLocalPostgres,
  createProfileTable,
  localPostgresSecret,
  putSecret,
  scratchSchema,
} from "../local/fixtures/storeFixtures";
import { sized } from "./smoke";

const pgRows = Number(process.env.BENCH_PG_ROWS ?? sized(1_000_000, 1_000));
const pgSubjects = Number(process.env.BENCH_PG_SUBJECTS ?? sized(10_000, 10));
const ddbSubjects = Number(process.env.BENCH_DDB_SUBJECTS ?? sized(200, 5));

/** `count` distinct customer numbers out of 1..rows, spread evenly with a fixed stride. */
function subjectsOf(rows: number, count: number): string[] {
  const stride = Math.floor(rows / count);
  return Array.from({ length: count }, (_, i) => `customer-${i * stride + 1}`);
}

const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString("en")} subjects/s`;

async function benchPostgres(): Promise<void> {
  const sm = makeSecretsManagerClient();
  const secret = await putSecret(sm, `lethe-bench/pg-${Date.now()}`, localPostgresSecret());
  const db = await connectLocalPostgres();
  const schema = await scratchSchema(db, "lethe_bench");
  const table = `"${schema.name}".profiles`;
  try {
    await db.query(`CREATE TABLE ${table} (customer_id text NOT NULL, plan text, updated_at timestamptz)`);
    const t0 = performance.now();
    await db.query(
      `INSERT INTO ${table} SELECT 'customer-' || n, 'plan-' || (n % 7), now() FROM generate_series(1, $1) AS n`,
      [pgRows],
    );
    await db.query(`ANALYZE ${table}`);
    console.log(
      `PostgreSQL: ${pgRows.toLocaleString("en")} rows loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const ids = subjectsOf(pgRows, pgSubjects);
    const store = postgresStore(
      {
        name: "bench",
        kind: "postgres",
        owner: "bench@example.com",
        connectionSecret: secret,
        ssl: false,
        statementTimeoutMs: 600_000,
        tables: [{ table: `${schema.name}.profiles`, idColumn: "customer_id" }],
      },
      secretReader(sm),
    );
    const restore = async () =>
      db.query(`INSERT INTO ${table} SELECT id, 'plan-restored', now() FROM unnest($1::text[]) AS id`, [ids]);

    const results: Record<string, number> = {};
    for (const variant of ["no index", "index"] as const) {
      if (variant === "index") {
        await restore();
        await db.query(`CREATE INDEX ON ${table} (customer_id)`);
        await db.query(`ANALYZE ${table}`);
      }
      const t = performance.now();
      const erased = await store.erase(ids, { fencingToken: 1 });
      const ms = performance.now() - t;
      const left = await store.verify(ids);
      if (erased.deleted !== pgSubjects || left.remaining !== 0)
        throw new Error(`PostgreSQL ${variant}: deleted ${erased.deleted}, ${left.remaining} left`);
      results[variant] = ms;
      console.log(
        `PostgreSQL, ${variant.padEnd(8)}: ${pgSubjects.toLocaleString("en")} subjects erased in ${ms.toFixed(0)} ms ` +
          `(${rate(pgSubjects, ms)}; one transaction, connect and catalog check included)`,
      );
    }
    console.log(
      `PostgreSQL: the index makes the erase ${(results["no index"] / results.index).toFixed(1)}x faster`,
    );
  } finally {
    await schema.drop();
    await db.end();
  }
}

async function benchDynamoDb(): Promise<void> {
  const ddb = makeDynamoDbClient();
  const table = `lethe-bench-profiles-${Date.now().toString(36)}`;
  await createProfileTable(ddb, table);
  try {
    const ids = Array.from({ length: ddbSubjects }, (_, i) => `customer-${i + 1}`);
    // Two items per subject (a profile and its preferences), and as many of other subjects.
    const items = [...ids, ...ids.map((id) => `other-${id}`)].flatMap((id) =>
      ["profile", "preferences"].map((section) => ({
        PutRequest: {
          Item: { customer_id: { S: id }, section: { S: section }, version: { N: "1" } },
        },
      })),
    );
    for (let i = 0; i < items.length; i += 25) {
      let batch: Record<string, (typeof items)[number][]> | undefined = { [table]: items.slice(i, i + 25) };
      while (batch && Object.keys(batch).length > 0) {
        const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: batch }));
        batch = out.UnprocessedItems as typeof batch;
      }
    }
    // The reference, in the same run: one plain GetItem round trip to the emulator.
    const rounds = sized(50, 3);
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++)
      await ddb.send(
        new GetItemCommand({
          TableName: table,
          Key: { customer_id: { S: "nobody" }, section: { S: "profile" } },
        }),
      );
    const roundTripMs = (performance.now() - t0) / rounds;
    console.log(`DynamoDB (moto): reference GetItem round trip ${roundTripMs.toFixed(1)} ms`);
    for (const concurrency of [1, 16]) {
      const store = dynamoDbStore(
        ddb,
        {
          name: "bench",
          kind: "dynamodb",
          owner: "bench@example.com",
          table,
          idAttribute: "customer_id",
          sortKey: "section",
          versionAttribute: "version",
        },
        { concurrency },
      );
      const slice =
        concurrency === 1 ? ids.slice(0, Math.ceil(ids.length / 4)) : ids.slice(Math.ceil(ids.length / 4));
      const t = performance.now();
      const erased = await store.erase(slice, { fencingToken: 1 });
      const ms = performance.now() - t;
      if (erased.deleted !== slice.length * 2 || (await store.verify(slice)).remaining !== 0)
        throw new Error(`DynamoDB: deleted ${erased.deleted} of ${slice.length * 2}`);
      console.log(
        `DynamoDB (moto), ${String(concurrency).padStart(2)} in flight: ${slice.length.toLocaleString("en")} subjects ` +
          `(2 items each) erased in ${ms.toFixed(0)} ms (${rate(slice.length, ms)}; ` +
          `${(ms / slice.length / roundTripMs).toFixed(1)} reference round trips per subject: a Query and 2 conditional DeleteItems each)`,
      );
    }
  } finally {
    await ddb.send(new DeleteTableCommand({ TableName: table }));
  }
}

async function main(): Promise<void> {
  let emulator: LocalEmulator | undefined;
  if (!process.env.AWS_ENDPOINT_URL) {
    emulator = await startLocalEmulator();
    useLocalEmulator(emulator.endpoint);
  }
  try {
    await benchPostgres();
    await benchDynamoDb();
  } finally {
    await emulator?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
