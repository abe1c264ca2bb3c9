// The opt-out registry against the emulator: add, remove, batch look-up with retried unprocessed
// keys, and paging through every ID.
import { expect } from "chai";
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { bulkOptOut, createOptOutTable } from "./fixtures";

describe("ingest: opt-out registry (moto)", () => {
  let table: string;
  before(async () => {
    table = await createOptOutTable();
  });

  it("records an opt-out with its request reference and time, and removes it on opt-in", async () => {
    const doc = makeDocumentClient();
    const registry = new OptOutRegistry(doc, table);
    const at = new Date("2026-11-29T10:00:00Z");
    await registry.add("cust-1", "req-42", at);
    const item = (await doc.send(new GetCommand({ TableName: table, Key: { customerId: "cust-1" } }))).Item;
    expect(item).to.deep.equal({
      customerId: "cust-1",
      requestRef: "req-42",
      optedOutAt: "2026-11-29T10:00:00.000Z",
    });
    expect([...(await registry.optedOut(["cust-1", "cust-2"]))]).to.deep.equal(["cust-1"]);
    await registry.remove("cust-1");
    expect((await registry.optedOut(["cust-1"])).size).to.equal(0);
    let error: Error | undefined;
    await registry.add("", "req").catch((e) => (error = e));
    expect(error?.message).to.match(/customer ID must be a non-empty string/);
  });

  it("looks up hundreds of IDs in batches of 100 and pages through all of them", async () => {
    const t = await createOptOutTable();
    const opted = Array.from({ length: 250 }, (_, i) => `opted-${i}`);
    await bulkOptOut(t, opted);
    const registry = new OptOutRegistry(makeDocumentClient(), t);
    const asked = [...opted, ...Array.from({ length: 120 }, (_, i) => `other-${i}`), "opted-3"];
    const found = await registry.optedOut(asked);
    expect([...found].sort()).to.deep.equal([...opted].sort());
    expect(registry.keysRequested, "duplicates asked once").to.equal(370);
    const pages: string[][] = [];
    for await (const page of registry.pages(100)) pages.push(page);
    expect(pages.length).to.be.greaterThanOrEqual(3);
    expect(pages.flat().sort()).to.deep.equal([...opted].sort());
    expect((await registry.allIds(7)).length).to.equal(250);
  });

  it("retries the keys DynamoDB leaves unprocessed until every one is answered", async () => {
    const t = await createOptOutTable();
    await bulkOptOut(t, ["a", "b", "c", "d"]);
    const real = makeDocumentClient();
    let calls = 0;
    // Like a throttled table: the first answer covers half the keys and hands back the rest.
    const throttled = {
      send: async (cmd: BatchGetCommand) => {
        calls++;
        const keys = cmd.input.RequestItems![t].Keys!;
        if (calls > 1) return real.send(cmd);
        const half = keys.slice(0, 2);
        const out = await real.send(
          new BatchGetCommand({ RequestItems: { [t]: { ...cmd.input.RequestItems![t], Keys: half } } }),
        );
        return { ...out, UnprocessedKeys: { [t]: { Keys: keys.slice(2) } } };
      },
    } as unknown as DynamoDBDocumentClient;
    const registry = new OptOutRegistry(throttled, t, { retryBaseMs: 1 });
    const found = await registry.optedOut(["a", "b", "c", "d", "e"]);
    expect([...found].sort()).to.deep.equal(["a", "b", "c", "d"]);
    expect(calls).to.equal(2);
    expect(registry.keysRequested).to.equal(5 + 3);
  });

  it("gives up with a clear error when keys stay unprocessed", async () => {
    const stuck = {
      send: async (cmd: BatchGetCommand) => ({
        Responses: {},
        UnprocessedKeys: { [table]: { Keys: cmd.input.RequestItems![table].Keys } },
      }),
    } as unknown as DynamoDBDocumentClient;
    const registry = new OptOutRegistry(stuck, table, { maxUnprocessedRetries: 2, retryBaseMs: 1 });
    let error: Error | undefined;
    await registry.optedOut(["x"]).catch((e) => (error = e));
    expect(error?.message).to.match(/1 keys still unprocessed after 2 retries/);
  });
});
