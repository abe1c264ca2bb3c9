import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { makeDocumentClient, makeSnsClient, makeSqsClient } from "../../runtime/aws/clients";
import { ErasureState } from "../../runtime/contracts/requests";
import { daysLeft, deadlineFindings, sweepDeadlines } from "../../runtime/erasure/deadlines";
import { createTableLike } from "../../local/stack/copies";

const dayMs = 86_400_000;
const now = new Date("2027-03-10T12:00:00Z");
const at = (days: number) => new Date(now.getTime() + days * dayMs).toISOString();

describe("erasure deadlines", () => {
  it("classifies open requests: due within the window, overdue, or fine", () => {
    const f = deadlineFindings(
      [
        { requestId: "late", status: "FORGETTING", deadline: at(-2.5), receivedAt: at(-32.5) },
        { requestId: "soon", status: "RECEIVED", deadline: at(2.5), receivedAt: at(-27.5) },
        { requestId: "fine", status: "RECEIVED", deadline: at(20), receivedAt: at(-10) },
        { requestId: "edge", status: "BATCHED", deadline: at(3), receivedAt: at(-27) },
      ],
      now,
      3,
    );
    expect(f.map((x) => [x.requestId, x.kind, x.daysLeft])).to.deep.equal([
      ["late", "overdue", -3],
      ["soon", "dueSoon", 2],
      ["edge", "dueSoon", 3],
    ]);
    expect(daysLeft(at(0.5), now)).to.equal(0);
  });

  it("alerts each due or overdue request once, ignores finished ones, and reports the figures", async () => {
    const doc = makeDocumentClient();
    const sns = makeSnsClient();
    const sqs = makeSqsClient();
    const requestsTable = await createTableLike("requests", `lethe-deadlines-${randomUUID().slice(0, 8)}`);
    const topic = await sns.send(
      new CreateTopicCommand({ Name: `lethe-alerts-${randomUUID().slice(0, 8)}` }),
    );
    const queue = await sqs.send(
      new CreateQueueCommand({ QueueName: `lethe-alerts-${randomUUID().slice(0, 8)}` }),
    );
    const queueArn = (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ["QueueArn"] }),
      )
    ).Attributes!.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: "sqs", Endpoint: queueArn }));

    const put = (requestId: string, status: ErasureState, deadlineDays: number) =>
      doc.send(
        new PutCommand({
          TableName: requestsTable,
          // A raw ID on the item shows that alerts do not copy it.
          Item: {
            requestId,
            status,
            deadline: at(deadlineDays),
            receivedAt: at(deadlineDays - 30),
            subjects: [["cust-4711"]],
          },
        }),
      );
    await put("r-overdue", "FORGETTING", -1.5);
    await put("r-attention", "NEEDS_ATTENTION", -4.5);
    await put("r-due", "RECEIVED", 1.5);
    await put("r-fine", "RECEIVED", 25);
    await put("r-done", "COMPLETED", -10);
    await put("r-cancelled", "CANCELLED", 1);

    const deps = { doc, sns, requestsTable, alertTopicArn: topic.TopicArn!, warnDays: 3, now: () => now };
    const first = await sweepDeadlines(deps);
    expect(first).to.include({ openRequests: 4, dueSoon: 1, overdue: 2, alertsSent: 3 });
    expect(first.oldestOpenAgeDays).to.be.closeTo(34.5, 1e-9);
    expect(first.byState).to.deep.equal({
      RECEIVED: 2,
      BATCHED: 0,
      FINDING: 0,
      AWAITING_APPROVAL: 0,
      FORGETTING: 1,
      VERIFYING: 0,
      NEEDS_ATTENTION: 1,
    });
    expect(first.findings.map((f) => f.requestId)).to.deep.equal(["r-attention", "r-overdue", "r-due"]);

    const second = await sweepDeadlines(deps);
    expect(second.alertsSent, "each alert goes out once").to.equal(0);
    expect(second.overdue).to.equal(2);

    const bodies: string[] = [];
    for (let i = 0; i < 10 && bodies.length < 3; i++) {
      const r = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      bodies.push(...(r.Messages ?? []).map((m) => JSON.parse(m.Body!).Message as string));
    }
    expect(bodies).to.have.length(3);
    expect(bodies.join("\n"))
      .to.contain("r-overdue")
      .and.contain("r-due")
      .and.contain("lethe status r-attention");
    expect(bodies.join("\n")).not.to.contain("cust-4711");
    expect(bodies.join("\n")).not.to.contain("r-done");
  });
});
