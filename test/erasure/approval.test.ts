import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { makeDocumentClient, makeSnsClient, makeSqsClient } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import { BatchTables, createBatch, getBatch, moveBatch } from "../../runtime/erasure/batches";
import { decideApproval, requestApproval } from "../../runtime/erasure/approval";
import { StateMoveRefused } from "../../runtime/erasure/stateMoves";
import { ForgetLedger } from "../../runtime/erasure/forget/ledger";
import { createTableLike } from "../../local/stack/copies";

describe("erasure batches and approval", () => {
  const doc = makeDocumentClient();
  const sns = makeSnsClient();
  const sqs = makeSqsClient();
  let tables: BatchTables;
  let alertTopicArn: string;
  let queueUrl: string;

  before(async () => {
    const suffix = randomUUID().slice(0, 8);
    tables = {
      doc,
      ledgerTable: await createTableLike("ledger", `lethe-ledger-${suffix}`),
      requestsTable: await createTableLike("requests", `lethe-requests-${suffix}`),
    };
    alertTopicArn = (await sns.send(new CreateTopicCommand({ Name: `lethe-approvals-${suffix}` }))).TopicArn!;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `lethe-approvals-${suffix}` }))).QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))
    ).Attributes!.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: alertTopicArn, Protocol: "sqs", Endpoint: queueArn }));
  });

  /** A batch of two requests, found and waiting for approval. */
  async function waitingBatch(): Promise<{ batchId: string; requestIds: string[]; token: string }> {
    const batchId = `b-${randomUUID().slice(0, 8)}`;
    const requestIds = [randomUUID(), randomUUID()];
    for (const requestId of requestIds)
      await doc.send(
        new PutCommand({
          TableName: tables.requestsTable,
          Item: { requestId, status: "BATCHED", deadline: "2027-02-01" },
        }),
      );
    await createBatch(tables, {
      batchId,
      requestIds,
      subjectCount: 7,
      manifest: { bucket: "lake", key: `erasure-manifests/batch_id=${batchId}/manifest.jsonl` },
      deadline: "2027-02-01T00:00:00.000Z",
      createdAt: new Date().toISOString(),
    });
    await moveBatch(tables, batchId, "FINDING");
    const token = `token-${randomUUID()}`;
    await requestApproval(
      { ...tables, sns, alertTopicArn },
      { batchId, plan: { objects: 12, versions: 15, bytesScanned: 1234 }, taskToken: token },
    );
    return { batchId, requestIds, token };
  }

  it("keeps a batch's state on the ledger's summary item, where a cancel is what the purge workers read", async () => {
    const { batchId } = await waitingBatch();
    expect((await getBatch(tables, batchId))!.status).to.equal("AWAITING_APPROVAL");
    await moveBatch(tables, batchId, "CANCELLED", { reason: "withdrawn" });
    expect(await new ForgetLedger(doc, tables.ledgerTable).isCancelled(batchId)).to.equal(true);
  });

  it("moves the batch and its requests to AWAITING_APPROVAL and tells approvers the plan in counts and the commands", async () => {
    const { batchId, requestIds } = await waitingBatch();
    const batch = (await getBatch(tables, batchId))!;
    expect(batch.status).to.equal("AWAITING_APPROVAL");
    expect(batch.approval!.taskToken).to.match(/^token-/);
    for (const id of requestIds) {
      const r = await doc.send(
        new GetCommand({
          TableName: tables.requestsTable,
          Key: { requestId: id },
        }),
      );
      expect(r.Item).to.include({ status: "AWAITING_APPROVAL", batchId });
    }
    let body = "";
    for (let i = 0; i < 10 && !body.includes(batchId); i++) {
      const m = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      body += (m.Messages ?? []).map((x) => JSON.parse(x.Body!).Message).join("\n");
    }
    expect(body)
      .to.contain(`lethe approve ${batchId}`)
      .and.contain("objects: 12")
      .and.contain("bytesScanned: 1234");
    expect(body).not.to.contain("token-");
  });

  it("takes the first decision only and resumes the execution with it", async () => {
    const { batchId, token } = await waitingBatch();
    const resumed: { token: string; output: Record<string, unknown> }[] = [];
    const deps = {
      ...tables,
      resume: async (t: string, output: Record<string, unknown>) => void resumed.push({ token: t, output }),
    };
    const reply = await decideApproval(deps, { batchId, decision: "approve", by: "dpo@example.com" });
    expect(reply).to.include({ batchId, decision: "approve" });
    expect(resumed).to.deep.equal([
      { token, output: { decision: "approve", by: "dpo@example.com", reason: "" } },
    ]);
    const again = await decideApproval(deps, {
      batchId,
      decision: "reject",
      reason: "changed my mind",
      by: "x",
    }).catch((e) => e);
    expect(again).to.be.instanceOf(StateMoveRefused);
    expect(again.message).to.equal(`batch ${batchId} was already approved by dpo@example.com`);
    expect(resumed).to.have.length(1);
  });

  it("ends a rejected batch and its requests REJECTED with the reason", async () => {
    const { batchId, requestIds } = await waitingBatch();
    const resumed: Record<string, unknown>[] = [];
    await decideApproval(
      { ...tables, resume: async (_t, o) => void resumed.push(o) },
      { batchId, decision: "reject", reason: "wrong customer", by: "dpo" },
    );
    expect((await getBatch(tables, batchId))!).to.include({
      status: "REJECTED",
      reason: "rejected by dpo: wrong customer",
    });
    for (const id of requestIds)
      expect(
        (await doc.send(new GetCommand({ TableName: tables.requestsTable, Key: { requestId: id } }))).Item,
      ).to.include({ status: "REJECTED" });
    expect(resumed[0]).to.include({ decision: "reject", reason: "wrong customer" });
  });

  it("refuses bad events, unknown batches and batches that are not waiting, changing nothing", async () => {
    const deps = {
      ...tables,
      resume: async () => {
        throw new Error("must not resume");
      },
    };
    for (const [event, message] of [
      [null, "the event must be an object"],
      [{ decision: "approve" }, "batchId must be a non-empty string"],
      [{ batchId: "b", decision: "yes" }, 'decision must be "approve" or "reject", got "yes"'],
      [{ batchId: "b", decision: "reject" }, "a rejection needs a reason"],
    ] as const) {
      const err = await decideApproval(deps, event).catch((e) => e);
      expect(err, JSON.stringify(event)).to.be.instanceOf(UsageError);
      expect(err.message).to.contain(message);
    }
    const unknown = await decideApproval(deps, { batchId: "no-such-batch", decision: "approve" }).catch(
      (e) => e,
    );
    expect(unknown.message).to.equal("batch no-such-batch does not exist");
    const { batchId } = await waitingBatch();
    await moveBatch(tables, batchId, "CANCELLED");
    const notWaiting = await decideApproval(deps, { batchId, decision: "approve" }).catch((e) => e);
    expect(notWaiting.message).to.equal(`batch ${batchId} is CANCELLED, not waiting for approval`);
    expect((await getBatch(tables, batchId))!.approval!.decision).to.equal(undefined);
  });
});
