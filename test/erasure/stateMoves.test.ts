import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { allowedMoves, endStates, erasureStates } from "../../runtime/contracts/requests";
import { moveState, StateMoveRefused, StateMoveTarget } from "../../runtime/erasure/stateMoves";
import { createTableLike } from "../../local/stack/copies";

describe("erasure states: conditional moves", () => {
  const doc = makeDocumentClient();
  let tableName: string;

  before(async () => {
    tableName = await createTableLike("requests", `lethe-moves-${randomUUID().slice(0, 8)}`);
  });

  async function newRequest(): Promise<StateMoveTarget> {
    const requestId = randomUUID();
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { requestId, status: "RECEIVED", deadline: "2027-01-01" },
      }),
    );
    return { tableName, key: { requestId }, stateAttribute: "status", what: `request ${requestId}` };
  }

  it("follows the workflow's path and sets attributes in the same write", async () => {
    const t = await newRequest();
    for (const to of [
      "BATCHED",
      "FINDING",
      "FORGETTING",
      "VERIFYING",
      "FORGETTING",
      "VERIFYING",
      "COMPLETED",
    ] as const) {
      const item = await moveState(doc, t, to, { lastStep: to });
      expect(item).to.include({ status: to, lastStep: to });
    }
  });

  it("refuses a move the current state does not allow, naming both states, and changes nothing", async () => {
    const t = await newRequest();
    await moveState(doc, t, "BATCHED");
    const err = await moveState(doc, t, "COMPLETED", { touched: true }).catch((e) => e);
    expect(err).to.be.instanceOf(StateMoveRefused);
    expect(err.message).to.equal(`${t.what} is BATCHED; it cannot become COMPLETED`);
    expect(err.current).to.equal("BATCHED");
    const after = await moveState(doc, t, "FINDING");
    expect(after).not.to.have.property("touched");
  });

  it("never moves an ended item (but a batch needing attention, resumed by lethe retry), and nothing moves back to RECEIVED", async () => {
    for (const end of endStates.filter((s) => s !== "NEEDS_ATTENTION"))
      expect(allowedMoves[end], end).to.deep.equal([]);
    expect(allowedMoves.NEEDS_ATTENTION).to.deep.equal(["BATCHED", "FORGETTING"]);
    const t = await newRequest();
    await moveState(doc, t, "CANCELLED");
    for (const to of erasureStates) {
      const err = await moveState(doc, t, to).catch((e) => e);
      expect(err, to).to.be.instanceOf(StateMoveRefused);
      expect(err.current).to.equal("CANCELLED");
    }
    const fresh = await newRequest();
    expect((await moveState(doc, fresh, "RECEIVED").catch((e) => e)).message).to.contain(
      "is RECEIVED; it cannot become RECEIVED",
    );
  });

  it("says an unknown item does not exist, and creates nothing", async () => {
    const t: StateMoveTarget = {
      tableName,
      key: { requestId: "no-such" },
      stateAttribute: "status",
      what: "request no-such",
    };
    const err = await moveState(doc, t, "CANCELLED").catch((e) => e);
    expect(err).to.be.instanceOf(StateMoveRefused);
    expect(err.message).to.equal("request no-such does not exist");
    expect((await moveState(doc, t, "CANCELLED").catch((e) => e)).current).to.equal(undefined);
  });

  it("lets exactly one of many racing writers win", async () => {
    // Twelve batch runs claiming one request at once. (A cancel may follow a claim, BATCHED -> CANCELLED,
    // so racing claims against cancels can rightly have two winners.)
    const t = await newRequest();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => moveState(doc, t, "BATCHED", { winner: i })),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).to.have.length(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).to.be.instanceOf(StateMoveRefused);
    const item = (
      await doc.send(new GetCommand({ TableName: t.tableName, Key: t.key, ConsistentRead: true }))
    ).Item!;
    expect(item.winner).to.equal((won[0] as PromiseFulfilledResult<Record<string, unknown>>).value.winner);
  });
});
