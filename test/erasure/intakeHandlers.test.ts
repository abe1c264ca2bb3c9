// The status, approval and cancel functions against the emulator (Step Functions in moto for the
// deployed calls): what they answer, and that bad input (unknown ids, a batch not waiting, a finished
// one) is a clear error that changes nothing.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CreateStateMachineCommand, DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { makeDocumentClient, makeKmsClient, makeS3Client, makeSfnClient } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import { BatchTables, getBatch, moveBatch } from "../../runtime/erasure/batches";
import { collectBatch } from "../../runtime/erasure/batching";
import { getErasureRequest, recordErasureRequest } from "../../runtime/erasure/request";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/subjects/subjectHash";
import { createStatusHandler } from "../../runtime/handlers/status";
import { createApprovalHandler } from "../../runtime/handlers/approval";
import { createCancelHandler } from "../../runtime/handlers/cancel";
import { sfnStartExecution } from "../../runtime/handlers/batch";
import { parseApprovalEvent } from "../../runtime/erasure/approval";
import { parseCancelEvent } from "../../runtime/erasure/cancel";
import { parseOptInEvent } from "../../runtime/erasure/optIn";
import { parseStatusEvent } from "../../runtime/erasure/status";
import type { LocalStack } from "../../runtime/contracts/stack";
import { createTableLike } from "../../local/stack";
import { intakeEnvironment } from "../support/intakeEnvironment";
import { sharedLocalStack } from "../support/localStack";

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a refusal");
}

describe("status, approval and cancel functions", () => {
  let stack: LocalStack;
  let hasher: SubjectHasher;
  let tables: BatchTables;
  let env: Record<string, string>;
  let stateMachineArn: string;

  before(async () => {
    stack = await sharedLocalStack();
    hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const run = randomUUID().slice(0, 8);
    tables = {
      doc: makeDocumentClient(),
      requestsTable: await createTableLike("requests", `requests-${run}`),
      ledgerTable: await createTableLike("ledger", `ledger-${run}`),
    };
    env = {
      ...intakeEnvironment(stack, {
        idempotencyTable: await createTableLike("idempotency", `idempotency-${run}`),
      }),
      LETHE_REQUESTS_TABLE: tables.requestsTable,
      LETHE_LEDGER_TABLE: tables.ledgerTable,
    };
    // A machine that waits, so an execution is still running when it is cancelled.
    stateMachineArn = (
      await makeSfnClient().send(
        new CreateStateMachineCommand({
          name: `lethe-wait-${run}`,
          definition: JSON.stringify({
            StartAt: "W",
            States: { W: { Type: "Wait", Seconds: 3600, End: true } },
          }),
          roleArn: "arn:aws:iam::123456789012:role/lethe-test-sfn",
        }),
      )
    ).stateMachineArn!;
  });

  const file = async (ids: string[]) =>
    (
      await recordErasureRequest(
        {
          doc: tables.doc,
          s3: makeS3Client(),
          tableName: tables.requestsTable,
          bucket: stack.lakeBucket,
          kmsKeyArn: stack.kmsKeyArn,
          erasure: stack.erasureSettings,
        },
        hasher,
        ids,
      )
    ).request;
  const batchOf = async () => {
    await file([`b-${randomUUID().slice(0, 8)}`]);
    const reply = await collectBatch({
      ...tables,
      s3: makeS3Client(),
      lakeBucket: stack.lakeBucket,
      kmsKeyArn: stack.kmsKeyArn,
      maxSubjects: 10_000,
      startExecution: sfnStartExecution(stateMachineArn),
    });
    if (reply.status !== "STARTED") throw new Error(reply.message);
    return reply;
  };
  const waiting = async (taskToken: string) => {
    const b = await batchOf();
    await moveBatch(tables, b.batchId, "FINDING");
    await moveBatch(tables, b.batchId, "AWAITING_APPROVAL", {
      approval: { taskToken, requestedAt: new Date().toISOString() },
    });
    return b;
  };

  it("the console events are ones they accept", () => {
    const event = (name: string) =>
      JSON.parse(fs.readFileSync(path.resolve(__dirname, `../../events/${name}.json`), "utf8"));
    expect(parseStatusEvent(event("status"))).to.be.a("string");
    expect(parseApprovalEvent(event("approval")).decision).to.equal("approve");
    expect(parseCancelEvent(event("cancel"))).to.have.property("batchId");
    expect(parseOptInEvent(event("opt-in")).customerIds).to.deep.equal(["cust-0042"]);
  });

  it("status: state, deadline, days left, subjects, then the batch and its steps; never an ID", async () => {
    const r = await file(["status-subject-1", "status-subject-2"]);
    const status = createStatusHandler(env);
    const s = await status({ requestId: r.requestId });
    expect(s).to.deep.include({
      requestId: r.requestId,
      state: "RECEIVED",
      deadline: r.deadline,
      subjects: 2,
    });
    expect(s.daysLeft).to.be.within(
      stack.erasureSettings.deadlineDays - 1,
      stack.erasureSettings.deadlineDays,
    );
    const b = await batchOf();
    expect(b.requestIds).to.include(r.requestId);
    const after = await status({ requestId: r.requestId });
    expect(after.state).to.equal("BATCHED");
    expect(after.batch).to.deep.include({
      batchId: b.batchId,
      state: "BATCHED",
      objectsPurged: 0,
      steps: {},
    });
    expect(JSON.stringify(after)).to.not.include("status-subject-1");
    for (const [event, message] of [
      [{ requestId: "nope" }, "request nope does not exist"],
      [{}, 'status: the event must be {"requestId": "..."}'],
    ] as const) {
      const err = await refusal(status(event));
      expect(err).to.be.instanceOf(UsageError);
      expect(err.message).to.equal(message);
    }
  });

  it("approval: records the first decision and resumes the execution with it; a second one is refused", async () => {
    const b = await waiting(`arn:aws:states:eu-west-1:123456789012:task-token/${randomUUID()}`);
    const resumed: [string, Record<string, unknown>][] = [];
    const approval = createApprovalHandler(env, { resume: async (t, o) => void resumed.push([t, o]) });
    const reply = await approval({ batchId: b.batchId, decision: "approve", by: "dpo@example.com" });
    expect(reply).to.include({ batchId: b.batchId, decision: "approve", status: "FORGETTING_NEXT" });
    const batch = (await getBatch(tables, b.batchId))!;
    expect(resumed).to.deep.equal([
      [batch.approval!.taskToken, { decision: "approve", by: "dpo@example.com", reason: "" }],
    ]);
    expect(batch.approval).to.include({ decision: "approve", by: "dpo@example.com" });
    const again = await refusal(approval({ batchId: b.batchId, decision: "reject", reason: "no" }));
    expect(again).to.be.instanceOf(UsageError);
    expect(again.message).to.equal(`batch ${b.batchId} was already approved by dpo@example.com`);
    expect((await getBatch(tables, b.batchId))!.status).to.equal("AWAITING_APPROVAL");
  });

  it("approval deployed: SendTaskSuccess (moto); local: the decision on the batch record is the resume", async () => {
    const deployed = await waiting(`arn:aws:states:eu-west-1:123456789012:task-token/${randomUUID()}`);
    const approval = createApprovalHandler(env);
    expect(await approval({ batchId: deployed.batchId, decision: "approve", by: "a" })).to.include({
      status: "FORGETTING_NEXT",
    });
    const local = await waiting(`local-${randomUUID()}`);
    const reply = await approval({
      batchId: local.batchId,
      decision: "reject",
      reason: "wrong IDs",
      by: "b",
    });
    expect(reply.status).to.equal("REJECTED");
    const batch = (await getBatch(tables, local.batchId))!;
    expect(batch.status).to.equal("REJECTED");
    expect(batch.approval).to.include({ decision: "reject", reason: "wrong IDs" });
    for (const id of batch.requestIds)
      expect((await getErasureRequest(tables.doc, tables.requestsTable, id))?.status).to.equal("REJECTED");
  });

  it("approval: refuses an unknown batch, a batch not waiting and a rejection without reason, changing nothing", async () => {
    const b = await batchOf();
    const approval = createApprovalHandler(env, {
      resume: async () => {
        throw new Error("must not resume");
      },
    });
    for (const [event, message] of [
      [{ batchId: "nope", decision: "approve" }, "batch nope does not exist"],
      [
        { batchId: b.batchId, decision: "approve" },
        `batch ${b.batchId} is BATCHED, not waiting for approval`,
      ],
      [{ batchId: b.batchId, decision: "reject" }, "approval: a rejection needs a reason"],
      [
        { batchId: b.batchId, decision: "maybe" },
        'approval: decision must be "approve" or "reject", got "maybe"',
      ],
    ] as const) {
      const err = await refusal(approval(event));
      expect(err, message).to.be.instanceOf(UsageError);
      expect(err.message).to.equal(message);
    }
    const batch = (await getBatch(tables, b.batchId))!;
    expect(batch.status).to.equal("BATCHED");
    expect(batch.approval).to.equal(undefined);
  });

  it("cancel: a batch ends CANCELLED with its requests and its execution is stopped (moto)", async () => {
    const b = await batchOf();
    const cancel = createCancelHandler(env);
    const reply = await cancel({ batchId: b.batchId, reason: "filed by mistake" });
    expect(reply).to.deep.include({ cancelled: "batch", id: b.batchId, requestsCancelled: b.requestIds });
    const execution = await makeSfnClient().send(
      new DescribeExecutionCommand({ executionArn: b.executionId }),
    );
    expect(execution.status).to.equal("ABORTED");
    const batch = (await getBatch(tables, b.batchId))!;
    expect(batch).to.include({ status: "CANCELLED", reason: "cancelled: filed by mistake" });
    for (const id of b.requestIds)
      expect((await getErasureRequest(tables.doc, tables.requestsTable, id))?.status).to.equal("CANCELLED");
  });

  it("cancel: a request not yet batched ends CANCELLED and is never batched", async () => {
    const r = await file(["cx-1"]);
    const reply = await createCancelHandler(env)({ requestId: r.requestId });
    expect(reply).to.include({ cancelled: "request", id: r.requestId });
    expect((await getErasureRequest(tables.doc, tables.requestsTable, r.requestId))?.status).to.equal(
      "CANCELLED",
    );
  });

  it("cancel: refuses unknown ids, a finished batch and a request inside a running batch, changing nothing", async () => {
    const done = await batchOf();
    for (const s of ["FINDING", "FORGETTING", "VERIFYING", "COMPLETED"] as const)
      await moveBatch(tables, done.batchId, s);
    const running = await batchOf();
    const cancel = createCancelHandler(env, {
      stopExecution: async () => {
        throw new Error("must not stop");
      },
    });
    for (const [event, message] of [
      [{ requestId: "nope" }, "request nope does not exist"],
      [{ batchId: "nope" }, "batch nope does not exist"],
      [{ batchId: done.batchId }, `batch ${done.batchId} is COMPLETED; it cannot become CANCELLED`],
      [
        { requestId: running.requestIds[0] },
        `request ${running.requestIds[0]} is in batch ${running.batchId} (BATCHED)`,
      ],
      [
        { requestId: "a", batchId: "b" },
        'cancel: give exactly one of {"requestId": "..."} or {"batchId": "..."}',
      ],
      [
        { batchId: running.batchId, reason: 7 },
        "cancel: reason must be a non-empty string of at most 1000 characters",
      ],
    ] as const) {
      const err = await refusal(cancel(event));
      expect(err, message).to.be.instanceOf(UsageError);
      expect(err.message.startsWith(message), err.message).to.equal(true);
    }
    expect((await getBatch(tables, done.batchId))!.status).to.equal("COMPLETED");
    expect((await getBatch(tables, running.batchId))!.status).to.equal("BATCHED");
    const execution = await makeSfnClient().send(
      new DescribeExecutionCommand({ executionArn: running.executionId }),
    );
    expect(execution.status).to.equal("RUNNING");
  });
});
