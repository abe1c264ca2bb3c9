// The batch function against the emulator: open requests, oldest deadline first, up to the subject
// limit, into one batch with its manifest; one Step Functions execution per batch (moto's), named
// after it; a request in exactly one batch even when two runs race.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { CreateStateMachineCommand, DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeKmsClient, makeS3Client, makeSfnClient } from "../../runtime/aws/clients";
import { collectBatch, BatchingDeps, ExecutionInput } from "../../runtime/erasure/batching";
import { getBatch } from "../../runtime/erasure/batches";
import { readManifest } from "../../runtime/erasure/manifest";
import {
  ErasureRequestSettings,
  getErasureRequest,
  recordErasureRequest,
} from "../../runtime/erasure/request";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/subjects/subjectHash";
import { createBatchHandler } from "../../runtime/handlers/batch";
import type { LocalStack } from "../../runtime/contracts/stack";
import { createTableLike } from "../../local/stack";
import { intakeEnvironment } from "../support/intakeEnvironment";
import { sharedLocalStack } from "../support/localStack";

export async function motoStateMachine(): Promise<string> {
  const out = await makeSfnClient().send(
    new CreateStateMachineCommand({
      name: `lethe-test-${randomUUID().slice(0, 8)}`,
      definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Pass", End: true } } }),
      roleArn: "arn:aws:iam::123456789012:role/lethe-test-sfn",
    }),
  );
  return out.stateMachineArn!;
}

describe("batch function: open requests into one batch and one execution", () => {
  let stack: LocalStack;
  let hasher: SubjectHasher;
  let requestsTable: string;
  let ledgerTable: string;

  before(async () => {
    stack = await sharedLocalStack();
    hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
  });
  // Tables of their own: the shared stack's requests table holds other tests' open requests.
  beforeEach(async () => {
    const run = randomUUID().slice(0, 8);
    requestsTable = await createTableLike("requests", `requests-${run}`);
    ledgerTable = await createTableLike("ledger", `ledger-${run}`);
  });

  const requests = (at: Date): ErasureRequestSettings => ({
    doc: makeDocumentClient(),
    s3: makeS3Client(),
    tableName: requestsTable,
    bucket: stack.lakeBucket,
    kmsKeyArn: stack.kmsKeyArn,
    erasure: stack.erasureSettings,
    now: () => at,
  });
  const file = async (ids: string[], at: string) =>
    (await recordErasureRequest(requests(new Date(at)), hasher, ids)).request;
  const deps = (over: Partial<BatchingDeps> = {}): BatchingDeps & { started: ExecutionInput[] } => {
    const started: ExecutionInput[] = [];
    return {
      doc: makeDocumentClient(),
      s3: makeS3Client(),
      requestsTable,
      ledgerTable,
      lakeBucket: stack.lakeBucket,
      kmsKeyArn: stack.kmsKeyArn,
      maxSubjects: 10_000,
      startExecution: async (input) => {
        started.push(input);
        return { executionId: `exec-${input.batchId}` };
      },
      started,
      ...over,
    };
  };
  const batchItems = async () =>
    (await makeDocumentClient().send(new ScanCommand({ TableName: ledgerTable, Select: "COUNT" }))).Count;

  it("says so and makes nothing when no request is open", async () => {
    const d = deps();
    const reply = await collectBatch(d);
    expect(reply).to.deep.equal({
      status: "NO_OPEN_REQUESTS",
      message: "no open (RECEIVED) requests: no batch was made",
    });
    expect(d.started).to.deep.equal([]);
    expect(await batchItems()).to.equal(0);
  });

  it("collects the oldest deadlines first up to the subject limit, with the manifest, one execution each", async () => {
    const b = await file(["b-1", "b-2", "b-3"], "2026-11-02T00:00:00Z");
    const a = await file(["a-1", "a-2"], "2026-11-01T00:00:00Z");
    const c = await file(["c-1", "c-2", "a-1"], "2026-11-03T00:00:00Z");
    const d = deps({ maxSubjects: 5 });
    const first = await collectBatch(d);
    if (first.status !== "STARTED") throw new Error(first.message);
    expect(first.requestIds).to.deep.equal([a.requestId, b.requestId]);
    expect(first.subjects).to.equal(5);
    expect(first.deadline).to.equal(a.deadline);
    expect(d.started).to.deep.equal([{ batchId: first.batchId, deadline: a.deadline }]);

    const batch = (await getBatch(d, first.batchId))!;
    expect(batch).to.deep.include({
      status: "BATCHED",
      requestIds: [a.requestId, b.requestId],
      subjectCount: 5,
      executionId: `exec-${first.batchId}`,
    });
    expect(batch.manifest.key).to.equal(`erasure-manifests/batch_id=${first.batchId}/manifest.jsonl`);
    expect(await readManifest(makeS3Client(), batch.manifest)).to.deep.equal([
      ["a-1"],
      ["a-2"],
      ["b-1"],
      ["b-2"],
      ["b-3"],
    ]);
    for (const r of [a, b]) {
      const item = await getErasureRequest(makeDocumentClient(), requestsTable, r.requestId);
      expect(item).to.deep.include({ status: "BATCHED", batchId: first.batchId });
    }
    expect((await getErasureRequest(makeDocumentClient(), requestsTable, c.requestId))?.status).to.equal(
      "RECEIVED",
    );

    const second = await collectBatch(d);
    if (second.status !== "STARTED") throw new Error(second.message);
    expect(second.requestIds).to.deep.equal([c.requestId]);
    expect((await collectBatch(d)).status).to.equal("NO_OPEN_REQUESTS");
  });

  it("batches only requests whose keys have the oldest's arity; the others wait for a batch of their own", async () => {
    const single = await file(["s-1", "s-2"], "2026-11-01T00:00:00Z");
    const composite = (
      await recordErasureRequest(requests(new Date("2026-11-02T00:00:00Z")), hasher, [
        ["tenant-1", "user-1"],
        ["tenant-1", "user-2"],
      ])
    ).request;
    const d = deps();
    const first = await collectBatch(d);
    expect(first.status === "STARTED" && first.requestIds).to.deep.equal([single.requestId]);
    const left = await makeDocumentClient().send(
      new GetCommand({ TableName: requestsTable, Key: { requestId: composite.requestId } }),
    );
    expect(left.Item).to.include({ status: "RECEIVED" }).and.not.have.property("batchId");
    const second = await collectBatch(d);
    expect(second.status === "STARTED" && second.requestIds).to.deep.equal([composite.requestId]);
    expect(second.status === "STARTED" && second.subjects).to.equal(2);
  });

  it("puts two composite keys that differ only in where a unit separator falls into the manifest as two", async () => {
    const keys = [
      ["a\u001fb", "c"],
      ["a", "b\u001fc"],
    ];
    const request = (await recordErasureRequest(requests(new Date("2026-11-01T00:00:00Z")), hasher, keys))
      .request;
    const reply = await collectBatch(deps());
    if (reply.status !== "STARTED") throw new Error(reply.message);
    expect(reply.requestIds).to.deep.equal([request.requestId]);
    expect(reply.subjects).to.equal(2);
    expect(
      await readManifest(makeS3Client(), (await getBatch(deps(), reply.batchId))!.manifest),
    ).to.deep.equal(keys);
  });

  it("takes a request larger than the limit as a batch of its own", async () => {
    const big = await file(["x-1", "x-2", "x-3"], "2026-11-01T00:00:00Z");
    const reply = await collectBatch(deps({ maxSubjects: 2 }));
    expect(reply.status === "STARTED" && reply.requestIds).to.deep.equal([big.requestId]);
  });

  it("never puts one request in two batches when two runs race", async () => {
    const filed = [];
    for (let i = 0; i < 16; i++)
      filed.push(await file([`r-${i}`], `2026-11-01T00:00:${String(i).padStart(2, "0")}Z`));
    // Both runs read the same open requests before either claims one: the race the claims must settle.
    let arrived = 0;
    let release!: () => void;
    const bothQueried = new Promise<void>((r) => (release = r));
    const real = makeDocumentClient();
    const racing = {
      send: async (command: unknown) => {
        const out = await real.send(command as QueryCommand);
        if (command instanceof QueryCommand && ++arrived === 2) release();
        if (command instanceof QueryCommand) await bothQueried;
        return out;
      },
    } as unknown as DynamoDBDocumentClient;
    const d = deps({ doc: racing });
    const replies = await Promise.all([collectBatch(d), collectBatch(d)]);
    const batched = replies.flatMap((r) => (r.status === "STARTED" ? [r] : []));
    expect(arrived).to.be.at.least(2);
    const all = batched.flatMap((r) => r.requestIds);
    expect(all.sort()).to.deep.equal(filed.map((r) => r.requestId).sort());
    expect(new Set(all).size).to.equal(all.length);
    expect(d.started).to.have.length(batched.length);
    console.log(
      `      two racing runs: batches of ${batched.map((r) => r.requestIds.length).join(" and ")} requests`,
    );
    for (const r of batched) {
      const batch = (await getBatch(d, r.batchId))!;
      expect(batch.requestIds).to.deep.equal(r.requestIds);
      for (const id of r.requestIds)
        expect((await getErasureRequest(makeDocumentClient(), requestsTable, id))?.batchId).to.equal(
          r.batchId,
        );
      expect((await readManifest(makeS3Client(), batch.manifest)).length).to.equal(r.requestIds.length);
    }
  });

  it("gives the requests back when the execution cannot start, and cancels the empty batch", async () => {
    const r = await file(["f-1"], "2026-11-01T00:00:00Z");
    const d = deps({
      startExecution: async () => {
        throw new Error("StateMachineDoesNotExist");
      },
    });
    let err: Error | undefined;
    try {
      await collectBatch(d);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal("StateMachineDoesNotExist");
    const item = (await getErasureRequest(makeDocumentClient(), requestsTable, r.requestId))!;
    expect(item.status).to.equal("RECEIVED");
    expect(item.batchId).to.equal(undefined);
    const again = await collectBatch(deps());
    expect(again.status === "STARTED" && again.requestIds).to.deep.equal([r.requestId]);
  });

  it("deployed: starts a Step Functions execution named after the batch (moto), and records it", async () => {
    const arn = await motoStateMachine();
    const r = await file(["s-1", "s-2"], "2026-11-01T00:00:00Z");
    const handler = createBatchHandler({
      ...intakeEnvironment(stack, {
        idempotencyTable: "unused",
        stateMachineArn: arn,
        batchMaxSubjects: 100,
      }),
      LETHE_REQUESTS_TABLE: requestsTable,
      LETHE_LEDGER_TABLE: ledgerTable,
    });
    const reply = await handler({ now: true });
    if (reply.status !== "STARTED") throw new Error(reply.message);
    expect(reply.requestIds).to.deep.equal([r.requestId]);
    const execution = await makeSfnClient().send(
      new DescribeExecutionCommand({ executionArn: reply.executionId }),
    );
    expect(execution.name).to.equal(reply.batchId);
    expect(execution.stateMachineArn).to.equal(arn);
    expect(JSON.parse(execution.input!)).to.deep.equal({ batchId: reply.batchId, deadline: r.deadline });
    expect(JSON.stringify(execution)).to.not.include("s-1");
    const batch = (await getBatch({ doc: makeDocumentClient(), ledgerTable, requestsTable }, reply.batchId))!;
    expect(batch.executionId).to.equal(reply.executionId);
    expect(await handler({ now: true })).to.include({ status: "NO_OPEN_REQUESTS" });
    let err: Error | undefined;
    try {
      await handler({ now: "yes" });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal('batch: "now" must be true when given, got "yes"');
  });
});
