// The owner alert is a pure message: it names the store, the owner, the reason and what to do by hand
// for that kind of store, points at the manifest for the IDs, and holds none of them.
import { expect } from "chai";
import { ownerAlertMessage } from "../../runtime/stores/ownerAlert";
import { StoreConfig } from "../../runtime/contracts/stores";

describe("stores: owner alerts", () => {
  const manifest = { bucket: "lake", key: "erasure-manifests/batch_id=b7/manifest.jsonl", versionId: "v3" };
  const facts = (store: StoreConfig, reason: string) => ({
    store,
    batchId: "b7",
    requestId: "r7",
    action: "erase",
    reason,
    subjects: 12,
    manifest,
    deadline: "2026-12-31T00:00:00.000Z",
  });

  it("DynamoDB: the table or index to query by hand, and re-running erase", () => {
    const a = ownerAlertMessage(
      facts(
        {
          name: "sessions",
          kind: "dynamodb",
          owner: "web@example.com",
          table: "sessions",
          idAttribute: "customer_id",
          indexName: "by-customer",
          partitionKey: "session_id",
        },
        "DynamoDB throttled table sessions beyond the retry budget (ThrottlingException)",
      ),
    );
    expect(a.subject).to.equal("Lethe: store sessions needs attention (batch b7)");
    expect(a.attributes).to.deep.equal({
      store: "sessions",
      owner: "web@example.com",
      kind: "dynamodb",
      batchId: "b7",
    });
    expect(a.message.split("\n").slice(0, 4)).to.deep.equal([
      'Lethe could not confirm the erasure of 12 subject(s) in store "sessions" (dynamodb).',
      "Owner: web@example.com",
      "Batch: b7, request r7; step: erase; erasure deadline 2026-12-31T00:00:00.000Z",
      "Reason: DynamoDB throttled table sessions beyond the retry budget (ThrottlingException)",
    ]);
    expect(a.message).to.include(
      "- Or by hand: for each ID in s3://lake/erasure-manifests/batch_id=b7/manifest.jsonl (version v3), " +
        "Query index by-customer of table sessions on customer_id and delete the items found.",
    );
  });

  it("PostgreSQL: nothing was erased, the tables children first; subsystem: the idempotency key", () => {
    const pg = ownerAlertMessage(
      facts(
        {
          name: "accounts",
          kind: "postgres",
          owner: "accounts@example.com",
          connectionSecret: "db",
          tables: [
            {
              table: "orders",
              idColumn: "customer_id",
              children: [{ table: "items", column: "order_id", parentColumn: "id" }],
            },
          ],
        },
        "statement timed out",
      ),
    );
    expect(pg.message).to.include("- Nothing was erased: the batch's transaction was rolled back.");
    expect(pg.message).to.include("from items, orders (children first)");
    const sub = ownerAlertMessage(
      facts(
        {
          name: "crm",
          kind: "subsystem",
          owner: "crm@example.com",
          url: "https://crm.example.com",
          mode: "async",
          signingSecret: "s",
        },
        "not done by the deadline",
      ),
    );
    expect(sub.message).to.include("idempotency key r7");
    expect(sub.message).to.include("(https://crm.example.com)");
  });
});
