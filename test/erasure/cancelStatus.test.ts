import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import { BatchTables, createBatch, getBatch, moveBatch } from "../../runtime/erasure/batches";
import { cancelErasure } from "../../runtime/erasure/cancel";
import { requestStatus } from "../../runtime/erasure/status";
import { ForgetLedger } from "../../runtime/erasure/forget/ledger";
import { StateMoveRefused } from "../../runtime/erasure/stateMoves";
import { createTableLike } from "../../local/stack/copies";

describe("erasure: cancel and status", () => {
  const doc = makeDocumentClient();
  let tables: BatchTables;
  const now = new Date("2027-01-10T00:00:00.000Z");

  before(async () => {
    const suffix = randomUUID().slice(0, 8);
    tables = {
      doc,
      ledgerTable: await createTableLike("ledger", `lethe-ledger-${suffix}`),
      requestsTable: await createTableLike("requests", `lethe-requests-${suffix}`),
    };
  });

  async function request(status = "RECEIVED", extra: Record<string, unknown> = {}): Promise<string> {
    const requestId = randomUUID();
    await doc.send(
      new PutCommand({
        TableName: tables.requestsTable,
        Item: {
          requestId,
          status,
          receivedAt: "2027-01-01T00:00:00.000Z",
          deadline: "2027-01-31T00:00:00.000Z",
          subjectCount: 3,
          ...extra,
        },
      }),
    );
    return requestId;
  }

  async function runningBatch(): Promise<{ batchId: string; requestIds: string[] }> {
    const batchId = `b-${randomUUID().slice(0, 8)}`;
    const requestIds = [await request("BATCHED", { batchId }), await request("BATCHED", { batchId })];
    await createBatch(tables, {
      batchId,
      requestIds,
      subjectCount: 6,
      manifest: { bucket: "lake", key: `m/batch_id=${batchId}/manifest.jsonl` },
      deadline: "2027-01-31T00:00:00.000Z",
      createdAt: now.toISOString(),
      executionId: `exec-${batchId}`,
    });
    await moveBatch(tables, batchId, "FINDING");
    await moveBatch(tables, batchId, "FORGETTING");
    return { batchId, requestIds };
  }

  const state = async (requestId: string) =>
    (await doc.send(new GetCommand({ TableName: tables.requestsTable, Key: { requestId } }))).Item!.status;

  it("cancels a batch with its requests, stops its execution, and its purges are then acknowledged without work", async () => {
    const { batchId, requestIds } = await runningBatch();
    const stopped: string[] = [];
    const reply = await cancelErasure(
      { ...tables, stopExecution: async (id) => void stopped.push(id) },
      { batchId },
    );
    expect(reply).to.deep.include({ cancelled: "batch", id: batchId, requestsCancelled: requestIds });
    expect(stopped).to.deep.equal([`exec-${batchId}`]);
    for (const id of requestIds) expect(await state(id)).to.equal("CANCELLED");
    expect(await new ForgetLedger(doc, tables.ledgerTable).isCancelled(batchId)).to.equal(true);
  });

  it("keeps the reason a request was filed with when a move gives its own (status shows both)", async () => {
    const batchId = `b-${randomUUID().slice(0, 8)}`;
    const filed = await request("BATCHED", { batchId, reason: "ticket GDPR-17" });
    await createBatch(tables, {
      batchId,
      requestIds: [filed],
      subjectCount: 3,
      manifest: { bucket: "lake", key: `m/batch_id=${batchId}/manifest.jsonl` },
      deadline: "2027-01-31T00:00:00.000Z",
      createdAt: now.toISOString(),
    });
    await moveBatch(tables, batchId, "FINDING");
    await moveBatch(tables, batchId, "NEEDS_ATTENTION", { reason: "lake: the engine was unreachable" });
    const stored = (
      await doc.send(new GetCommand({ TableName: tables.requestsTable, Key: { requestId: filed } }))
    ).Item!;
    expect(stored).to.include({ reason: "ticket GDPR-17", stateReason: "lake: the engine was unreachable" });
    expect(await requestStatus(tables, { requestId: filed }, now)).to.include({
      state: "NEEDS_ATTENTION",
      reason: "ticket GDPR-17",
      stateReason: "lake: the engine was unreachable",
    });
  });

  it("cancels a request that is not batched yet, and refuses one inside a running batch, naming the batch", async () => {
    const alone = await request();
    const deps = { ...tables, stopExecution: async () => undefined };
    expect((await cancelErasure(deps, { requestId: alone })).cancelled).to.equal("request");
    expect(await state(alone)).to.equal("CANCELLED");

    const { batchId, requestIds } = await runningBatch();
    const err = await cancelErasure(deps, { requestId: requestIds[0] }).catch((e) => e);
    expect(err).to.be.instanceOf(StateMoveRefused);
    expect(err.message)
      .to.contain(`is in batch ${batchId} (FORGETTING)`)
      .and.contain(`{"batchId": "${batchId}"}`);
    expect(await state(requestIds[0])).to.equal("FORGETTING");
  });

  it("refuses to cancel what has finished or does not exist, and bad events, changing nothing", async () => {
    const deps = {
      ...tables,
      stopExecution: async () => {
        throw new Error("must not stop");
      },
    };
    const done = await request("COMPLETED");
    expect((await cancelErasure(deps, { requestId: done }).catch((e) => e)).message).to.equal(
      `request ${done} is COMPLETED; it cannot become CANCELLED`,
    );
    const { batchId } = await runningBatch();
    await moveBatch(tables, batchId, "VERIFYING");
    await moveBatch(tables, batchId, "COMPLETED");
    expect((await cancelErasure(deps, { batchId }).catch((e) => e)).message).to.equal(
      `batch ${batchId} is COMPLETED; it cannot become CANCELLED`,
    );
    expect((await getBatch(tables, batchId))!.status).to.equal("COMPLETED");
    expect((await cancelErasure(deps, { batchId: "nope" }).catch((e) => e)).message).to.equal(
      "batch nope does not exist",
    );
    for (const bad of [{}, { requestId: "a", batchId: "b" }, { requestId: 7 }])
      expect(await cancelErasure(deps, bad).catch((e) => e)).to.be.instanceOf(UsageError);
  });

  it("reports state, deadline, days left and the batch's counts, without any ID", async () => {
    const { batchId, requestIds } = await runningBatch();
    const s = await requestStatus(tables, { requestId: requestIds[0] }, now);
    expect(s).to.deep.include({
      requestId: requestIds[0],
      state: "FORGETTING",
      daysLeft: 21,
      overdue: false,
      subjects: 3,
    });
    expect(s.batch).to.deep.include({ batchId, state: "FORGETTING", objectsPurged: 0 });
    const late = await requestStatus(
      tables,
      { requestId: requestIds[0] },
      new Date("2027-02-02T00:00:00.000Z"),
    );
    expect(late).to.include({ overdue: true, daysLeft: -2 });
    expect((await requestStatus(tables, { requestId: "nope" }).catch((e) => e)).message).to.equal(
      "request nope does not exist",
    );
    expect(await requestStatus(tables, {}).catch((e) => e)).to.be.instanceOf(UsageError);
  });
});
