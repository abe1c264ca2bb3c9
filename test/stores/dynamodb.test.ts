// The DynamoDB store against moto: a table keyed by the ID (with a sort key and a version attribute)
// and a table reachable through a GSI on the ID. Faults moto cannot produce (a writer racing the
// delete, throttling) are injected by wrapping the client's send; every read and write still goes
// to moto.
import { expect } from "chai";
import {
  AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { DynamoDbStoreConfig } from "../../runtime/contracts/stores";
import { dynamoDbStore, DynamoDbSender } from "../../runtime/stores/dynamodb";
import { StoreError } from "../../runtime/stores/store";
import { createProfileTable } from "../../local/fixtures/storeFixtures";

describe("stores: DynamoDB", () => {
  const ddb = makeDynamoDbClient();
  const run = Date.now().toString(36);
  const keyedTable = `lethe-test-profiles-${run}`;
  const indexedTable = `lethe-test-sessions-${run}`;
  const keyed: DynamoDbStoreConfig = {
    name: "profiles",
    kind: "dynamodb",
    owner: "profiles-team@example.com",
    table: keyedTable,
    idAttribute: "customer_id",
    sortKey: "section",
    versionAttribute: "version",
  };
  const indexed: DynamoDbStoreConfig = {
    name: "sessions",
    kind: "dynamodb",
    owner: "sessions-team@example.com",
    table: indexedTable,
    idAttribute: "customer_id",
    indexName: "by-customer",
    partitionKey: "session_id",
  };
  const fast = { backoffBaseMs: 1 };

  before(async () => {
    await createProfileTable(ddb, keyedTable);
    await ddb.send(
      new CreateTableCommand({
        TableName: indexedTable,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "session_id", AttributeType: "S" },
          { AttributeName: "customer_id", AttributeType: "S" },
        ],
        KeySchema: [{ AttributeName: "session_id", KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: "by-customer",
            KeySchema: [{ AttributeName: "customer_id", KeyType: "HASH" }],
            Projection: { ProjectionType: "KEYS_ONLY" },
          },
        ],
      }),
    );
  });

  beforeEach(async () => {
    for (const table of [keyedTable, indexedTable]) {
      const all = await ddb.send(new ScanCommand({ TableName: table }));
      for (const item of all.Items ?? []) {
        const Key: Record<string, AttributeValue> =
          table === keyedTable
            ? { customer_id: item.customer_id, section: item.section }
            : { session_id: item.session_id };
        await ddb.send(new DeleteItemCommand({ TableName: table, Key }));
      }
    }
    for (const [c, sections] of [
      ["c1", 3],
      ["c2", 2],
      ["c3", 4],
    ] as const) {
      for (let s = 0; s < sections; s++) {
        await ddb.send(
          new PutItemCommand({
            TableName: keyedTable,
            Item: { customer_id: { S: c }, section: { S: `s${s}` }, version: { N: "1" }, body: { S: "x" } },
          }),
        );
        await ddb.send(
          new PutItemCommand({
            TableName: indexedTable,
            Item: { session_id: { S: `${c}-session-${s}` }, customer_id: { S: c } },
          }),
        );
      }
    }
  });

  const countOf = async (table: string, customer: string): Promise<number> => {
    const all = await ddb.send(new ScanCommand({ TableName: table }));
    return (all.Items ?? []).filter((i) => i.customer_id?.S === customer).length;
  };

  /** A client whose send runs `before` ahead of each command (to race or fail it). */
  const wrapped = (before: (command: object, n: number) => Promise<void> | void): DynamoDbSender => {
    let n = 0;
    return {
      send: (async (command: object) => {
        await before(command, n++);
        return ddb.send(command as never);
      }) as DynamoDBClient["send"],
    };
  };

  for (const config of [keyed, indexed]) {
    it(`${config.indexName ? "through a GSI" : "keyed by the ID"}: finds by Query, erases, verifies zero, leaves others`, async () => {
      const seen: string[] = [];
      const store = dynamoDbStore(
        wrapped((c) => void seen.push(c.constructor.name)),
        config,
        fast,
      );
      expect(await store.find(["c1", "c2", "nobody"])).to.deep.equal({
        count: 5,
        byTable: { [config.table]: 5 },
      });
      const erased = await store.erase(["c1", "c2", "nobody"], { fencingToken: 1 });
      expect(erased.deleted).to.equal(5);
      expect(erased.changedSinceFound).to.equal(0);
      expect((await store.verify(["c1", "c2"])).remaining).to.equal(0);
      expect(await countOf(config.table, "c1")).to.equal(0);
      expect(await countOf(config.table, "c3"), "another subject keeps every item").to.equal(4);
      expect(new Set(seen), "Query and DeleteItem only, never Scan").to.deep.equal(
        new Set(["QueryCommand", "DeleteItemCommand"]),
      );
    });
  }

  it("an item a writer changed after it was found is found again and deleted with its new version", async () => {
    const store = dynamoDbStore(
      wrapped(async (c, n) => {
        if (c instanceof DeleteItemCommand && n === 1) {
          await ddb.send(
            new UpdateItemCommand({
              TableName: keyedTable,
              Key: c.input.Key!,
              UpdateExpression: "SET version = :v, body = :b",
              ExpressionAttributeValues: { ":v": { N: "2" }, ":b": { S: "written during the erasure" } },
            }),
          );
        }
      }),
      keyed,
      fast,
    );
    const erased = await store.erase(["c1"], { fencingToken: 1 });
    expect(erased).to.include({ deleted: 3, changedSinceFound: 1 });
    expect(await countOf(keyedTable, "c1")).to.equal(0);
  });

  it("an item moved to another subject between find and delete is not deleted", async () => {
    const store = dynamoDbStore(
      wrapped(async (c, n) => {
        if (c instanceof DeleteItemCommand && n === 1) {
          await ddb.send(
            new UpdateItemCommand({
              TableName: indexedTable,
              Key: c.input.Key!,
              UpdateExpression: "SET customer_id = :other",
              ExpressionAttributeValues: { ":other": { S: "c3" } },
            }),
          );
        }
      }),
      indexed,
      fast,
    );
    const erased = await store.erase(["c1"], { fencingToken: 1 });
    expect(erased).to.include({ deleted: 2, changedSinceFound: 1 });
    expect(await countOf(indexedTable, "c1")).to.equal(0);
    expect(await countOf(indexedTable, "c3"), "c3's four plus the moved one").to.equal(5);
  });

  const throttle = () =>
    Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
      name: "ProvisionedThroughputExceededException",
    });

  it("retries throttled deletes with backoff until they go through", async () => {
    let throttled = 0;
    const store = dynamoDbStore(
      wrapped((c) => {
        if (c instanceof DeleteItemCommand && throttled < 4) {
          throttled++;
          throw throttle();
        }
      }),
      keyed,
      fast,
    );
    expect((await store.erase(["c2"], { fencingToken: 1 })).deleted).to.equal(2);
    expect(throttled).to.equal(4);
    expect(await countOf(keyedTable, "c2")).to.equal(0);
  });

  it("a table that keeps throttling fails with the reason after the retry budget", async () => {
    const store = dynamoDbStore(
      wrapped((c) => {
        if (c instanceof DeleteItemCommand) throw throttle();
      }),
      keyed,
      { ...fast, throttleAttempts: 3 },
    );
    const error = await store.erase(["c2"], { fencingToken: 1 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StoreError);
    expect((error as Error).message).to.equal(
      `store "profiles": DynamoDB throttled table ${keyedTable} beyond the retry budget (ProvisionedThroughputExceededException)`,
    );
  });

  it("a missing table or index is a clear error before any delete", async () => {
    const missing = dynamoDbStore(ddb, { ...keyed, table: `lethe-test-missing-${run}` }, fast);
    const e1 = await missing.erase(["c1"], { fencingToken: 1 }).catch((e: unknown) => e);
    expect((e1 as Error).message).to.equal(
      `store "profiles": DynamoDB table lethe-test-missing-${run} does not exist (or this function may not query it)`,
    );
    const noIndex = dynamoDbStore(ddb, { ...indexed, indexName: "by-email" }, fast);
    const e2 = await noIndex.erase(["c1"], { fencingToken: 1 }).catch((e: unknown) => e);
    expect((e2 as Error).message).to.match(
      // DynamoDB answers ValidationException for a missing index; moto answers ResourceNotFoundException.
      /^store "sessions": DynamoDB table lethe-test-sessions-\w+ (has no index by-email keyed by customer_id|or its index by-email does not exist)/,
    );
    expect(await countOf(indexedTable, "c1")).to.equal(3);
  });
});
