// A request larger than one batch, end to end against the emulator: the request function accepts it
// and splits it into parts of at most lethe:batchMaxSubjects (each an ordinary request, its IDs on S3),
// the batch function makes one batch of each part (never more than batchMaxSubjects IDs in a
// manifest), `status` answers for the request over all its parts (the least advanced of them), and
// its report is made of every part's, listing each batch. Cancelling it cancels its open parts.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import type { LocalStack } from "../../runtime/contracts/stack";
import { getBatch, moveBatch, recordStep } from "../../runtime/erasure/batches";
import { BatchReply, collectBatch, BatchingDeps } from "../../runtime/erasure/batching";
import { cancelErasure } from "../../runtime/erasure/cancel";
import { readManifest } from "../../runtime/erasure/manifest";
import { readRequestReport } from "../../runtime/erasure/report/parts";
import { reportView } from "../../runtime/erasure/report/reportView";
import { getErasureRequest, readRequestIds } from "../../runtime/erasure/request";
import { requestStatus } from "../../runtime/erasure/status";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/subjects/subjectHash";
import { reportBatch, ReportTaskDeps } from "../../runtime/erasure/workflow/tasks/report";
import { createFilterBuilderHandler } from "../../runtime/handlers/filterBuilder";
import { createRequestHandler } from "../../runtime/handlers/request";
import { fileErasureRequest } from "../../runtime/erasure/intake";
import { routes } from "../../runtime/api/routes";
import { schemaViolation } from "../../runtime/api/schema";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { filterBuilderEnvironment, intakeEnvironment } from "../support/intakeEnvironment";
import { createTableLike } from "../../local/stack";
import { LocalLambda, serveLocalLambda } from "../../local/lambda";
import { sharedLocalStack } from "../support/localStack";
import { reportFixture } from "../support/sampleReports";

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a refusal");
}

describe("a request larger than one batch: parts of a batch each, status and report over all of them", function () {
  this.timeout(600_000);
  let stack: LocalStack;
  let hasher: SubjectHasher;
  let lambda: LocalLambda;
  let env: Record<string, string>;
  let reportDeps: ReportTaskDeps;
  const doc = makeDocumentClient();
  const s3 = makeS3Client();
  const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;

  before(async () => {
    stack = await sharedLocalStack();
    hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const builder = createFilterBuilderHandler(filterBuilderEnvironment(stack));
    lambda = await serveLocalLambda({ [stack.filterBuilderFunction]: (e) => builder(e) });
    process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
    const run = randomUUID().slice(0, 8);
    env = {
      ...intakeEnvironment(stack, {
        idempotencyTable: await createTableLike("idempotency", `idempotency-${run}`),
      }),
      // Tables of their own: the open requests filed here must not join another test's batch.
      LETHE_REQUESTS_TABLE: await createTableLike("requests", `requests-${run}`),
      LETHE_LEDGER_TABLE: await createTableLike("ledger", `ledger-${run}`),
    };
    const f = await reportFixture();
    reportDeps = { ...f.deps, requestsTable: env.LETHE_REQUESTS_TABLE, ledgerTable: env.LETHE_LEDGER_TABLE };
  });
  after(async () => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
    await lambda?.close();
  });

  const tables = () => ({
    doc,
    requestsTable: env.LETHE_REQUESTS_TABLE,
    ledgerTable: env.LETHE_LEDGER_TABLE,
  });
  const batching = (maxSubjects: number): BatchingDeps => ({
    ...tables(),
    s3,
    lakeBucket: stack.lakeBucket,
    kmsKeyArn: stack.kmsKeyArn,
    maxSubjects,
    startExecution: async (input) => ({ executionId: `exec-${input.batchId}` }),
  });
  const status = (requestId: string) => requestStatus(tables(), { requestId });
  const reportOf = (requestId: string) =>
    readRequestReport(
      { s3, doc, reportBucket: reportDeps.reportBucket.bucket, requestsTable: env.LETHE_REQUESTS_TABLE },
      requestId,
    );
  const file = (ids: string[], batchMaxSubjects: number) =>
    createRequestHandler({ ...env, LETHE_BATCH_MAX_SUBJECTS: String(batchMaxSubjects) })({
      customerIds: ids,
      reason: "GDPR Art. 17",
    });
  /** Batch runs until nothing is open, as the schedule would make them one after another. */
  async function batchAll(maxSubjects: number): Promise<Extract<BatchReply, { status: "STARTED" }>[]> {
    const made: Extract<BatchReply, { status: "STARTED" }>[] = [];
    for (;;) {
      const reply = await collectBatch(batching(maxSubjects));
      if (reply.status !== "STARTED") return made;
      made.push(reply);
    }
  }
  /** The batch as the workflow leaves it before Report (verified clean), then the report task. */
  async function runToReport(batchId: string): Promise<void> {
    for (const to of ["FINDING", "FORGETTING", "VERIFYING"] as const) await moveBatch(tables(), batchId, to);
    const at = new Date().toISOString();
    await recordStep(tables(), batchId, "verify", { startedAt: at, endedAt: at, counts: { hits: 0 } });
    await reportBatch(reportDeps, { batchId, verify: { hits: 0 } });
  }

  it("2,500 IDs at batchMaxSubjects 1,000: three parts, three batches, status and report cover all", async () => {
    const run = randomUUID().slice(0, 8);
    const ids = Array.from({ length: 2_500 }, (_, i) => `split-${run}-${i}`);
    const reply = await file(ids, 1_000);
    expect(reply.subjects).to.equal(2_500);
    expect(reply.parts!.map((p) => p.subjects)).to.deep.equal([1_000, 1_000, 500]);
    expect(reply.message).to.include("split into 3 parts of at most 1000 subjects");

    // The request's own record: its parts, no state (no batch picks it up) and no ID.
    const own = (
      await doc.send(
        new GetCommand({ TableName: env.LETHE_REQUESTS_TABLE, Key: { requestId: reply.requestId } }),
      )
    ).Item!;
    expect(own.status).to.equal(undefined);
    expect(own.parts).to.deep.equal(reply.parts!.map((p) => p.requestId));
    expect(JSON.stringify(own)).to.not.include(`split-${run}-`);
    // Each part: an ordinary request with its IDs on S3, the parts in order, all opted out under it.
    const partIds: string[][] = [];
    for (const [i, p] of reply.parts!.entries()) {
      const part = (await getErasureRequest(doc, env.LETHE_REQUESTS_TABLE, p.requestId))!;
      expect(part).to.deep.include({
        status: "RECEIVED",
        deadline: reply.deadline,
        subjectCount: p.subjects,
      });
      expect(part.partOf).to.deep.equal({ requestId: reply.requestId, part: i + 1, parts: 3 });
      partIds.push((await readRequestIds(s3, part))!.map((k) => k[0]));
    }
    expect(partIds.flat()).to.deep.equal(ids);
    const registry = new OptOutRegistry(doc, stack.optOutTable);
    expect((await registry.optedOut(ids)).size).to.equal(2_500);

    let s = await status(reply.requestId);
    expect(s).to.deep.include({ state: "RECEIVED", subjects: 2_500, deadline: reply.deadline });
    expect(s.parts!.map((p) => p.state)).to.deep.equal(["RECEIVED", "RECEIVED", "RECEIVED"]);

    // One batch run: one part batched, the request is still RECEIVED (its least advanced part).
    const first = await collectBatch(batching(1_000));
    if (first.status !== "STARTED") throw new Error(first.message);
    expect(first.subjects).to.be.at.most(1_000);
    s = await status(reply.requestId);
    expect(s.state).to.equal("RECEIVED");
    expect(s.parts!.filter((p) => p.state === "BATCHED")).to.have.length(1);

    const batches = [first, ...(await batchAll(1_000))];
    expect(batches).to.have.length(3);
    const manifests: string[][] = [];
    for (const b of batches) {
      expect(b.requestIds).to.have.length(1);
      const batch = (await getBatch(tables(), b.batchId))!;
      const keys = (await readManifest(s3, batch.manifest)).map((k) => k[0]);
      expect(keys.length).to.be.at.most(1_000);
      expect(batch.subjectCount).to.equal(keys.length);
      manifests.push(keys);
    }
    expect(manifests.flat().sort()).to.deep.equal([...ids].sort());

    s = await status(reply.requestId);
    expect(s.state).to.equal("BATCHED");
    const batchOf = new Map(s.parts!.map((p) => [p.requestId, p.batch?.batchId]));
    expect(new Set(batchOf.values())).to.deep.equal(new Set(batches.map((b) => b.batchId)));
    expect(JSON.stringify(s)).to.not.include(`split-${run}-`);

    // No report until every part has one; the refusal names the parts still without.
    let err = await refusal(reportOf(reply.requestId));
    expect(err).to.be.instanceOf(UsageError);
    expect(err.message).to.include("split into 3 parts").and.include("3 have none yet");

    await runToReport(batches[0].batchId);
    await runToReport(batches[1].batchId);
    s = await status(reply.requestId);
    expect(s.parts!.map((p) => p.state).sort()).to.deep.equal(["BATCHED", "COMPLETED", "COMPLETED"]);
    expect(s.state).to.equal("BATCHED");
    expect(s.verdict).to.equal(undefined);
    err = await refusal(reportOf(reply.requestId));
    expect(err.message).to.include("1 have none yet").and.include("(BATCHED)");

    await runToReport(batches[2].batchId);
    s = await status(reply.requestId);
    expect(s.state).to.equal("COMPLETED");
    expect(s.overdue).to.equal(false);
    expect(s.verdict).to.equal("NOTHING_FOUND");
    for (const p of s.parts!) expect(p.report).to.be.a("string");

    const report = await reportOf(reply.requestId);
    expect(report).to.deep.include({ requestId: reply.requestId, state: "COMPLETED", subjectCount: 2_500 });
    expect(report.rawIdsDropped).to.equal(true);
    expect(report.parts!.map((p) => [p.requestId, p.batchId])).to.deep.equal(
      reply.parts!.map((p) => [p.requestId, batchOf.get(p.requestId)]),
    );
    expect(new Set(report.subjectHashes)).to.deep.equal(new Set(ids.map((id) => hasher.hash([id]))));
    const facts = new Map(reportView(report).facts);
    for (const b of batches) expect(facts.get("Batches")).to.include(b.batchId);
    expect(JSON.stringify(report)).to.not.include(`split-${run}-`);
  });

  it("cancelling it cancels its parts not yet batched, and is refused while a part's batch runs", async () => {
    const run = randomUUID().slice(0, 8);
    const ids = Array.from({ length: 30 }, (_, i) => `cancel-${run}-${i}`);
    const reply = await file(ids, 10);
    expect(reply.parts).to.have.length(3);
    const deps = { ...tables(), stopExecution: async () => undefined };
    const batch = await collectBatch(batching(10));
    if (batch.status !== "STARTED") throw new Error(batch.message);
    const err = await refusal(cancelErasure(deps, { requestId: reply.requestId }));
    expect(err.message).to.include(batch.batchId).and.include("1 of its 3 parts in running batches");
    expect((await status(reply.requestId)).parts!.map((p) => p.state).sort()).to.deep.equal([
      "BATCHED",
      "RECEIVED",
      "RECEIVED",
    ]);
    await cancelErasure(deps, { batchId: batch.batchId });
    const cancelled = await cancelErasure(deps, { requestId: reply.requestId });
    expect(cancelled.requestsCancelled).to.have.length(2);
    const s = await status(reply.requestId);
    expect(s.state).to.equal("CANCELLED");
    expect(s.parts!.map((p) => p.state)).to.deep.equal(["CANCELLED", "CANCELLED", "CANCELLED"]);
  });

  it("100,000 IDs: within the API's body limit, filed as ten parts, ten batches of 10,000, status over all", async () => {
    // IDs of a UUID's length: the longest common kind. The HTTP route takes the body as it is.
    const ids = Array.from({ length: 100_000 }, () => randomUUID());
    const route = routes.find((r) => r.operationId === "fileRequest")!;
    const body = { customerIds: ids, reason: "GDPR Art. 17" };
    const bodyBytes = Buffer.byteLength(JSON.stringify(body));
    expect(bodyBytes).to.be.below(route.maxBodyBytes);
    expect(schemaViolation(route.body!.schema, body)).to.equal(undefined);
    // The opt-outs and the filter of 100,000 IDs are the ingest guard's (intake.test.ts files 10,000
    // through them, the test above 2,500): here an in-memory registry, so the split and the batches
    // are what is timed.
    const registered = new Map<string, string>();
    const registry = {
      addMany: async (keys: readonly string[], by: string) => {
        for (const k of keys) registered.set(k, by);
        return [...keys];
      },
      release: async (key: string) => registered.delete(key),
    } as unknown as OptOutRegistry;
    const requests = {
      doc,
      s3,
      tableName: env.LETHE_REQUESTS_TABLE,
      bucket: stack.lakeBucket,
      kmsKeyArn: stack.kmsKeyArn,
      erasure: stack.erasureSettings,
    };
    let started = Date.now();
    const reply = await fileErasureRequest(
      {
        requests,
        hasher,
        registry,
        rebuildFilter: async () => ({ status: "published", generation: 1 }),
        audit: reportDeps.audit,
      },
      body,
    );
    const filed = (Date.now() - started) / 1000;
    started = Date.now();
    const batches = await batchAll(10_000);
    const batched = (Date.now() - started) / 1000;
    console.log(
      `      100,000 IDs (${(bodyBytes / 1e6).toFixed(1)} MB of JSON, route limit ` +
        `${(route.maxBodyBytes / 1e6).toFixed(1)} MB) filed as ${reply.parts!.length} parts in ` +
        `${filed.toFixed(1)} s, batched into ${batches.length} batches in ${batched.toFixed(1)} s`,
    );
    expect(reply.subjects).to.equal(100_000);
    expect(reply.parts!.map((p) => p.subjects)).to.deep.equal(Array(10).fill(10_000));
    expect(registered.size).to.equal(100_000);
    expect(new Set(registered.values())).to.deep.equal(new Set(reply.parts!.map((p) => p.requestId)));
    expect(batches).to.have.length(10);
    for (const b of batches) expect(b.subjects).to.equal(10_000);
    const s = await status(reply.requestId);
    expect(s).to.deep.include({ state: "BATCHED", subjects: 100_000 });
    expect(new Set(s.parts!.map((p) => p.batch!.batchId))).to.deep.equal(
      new Set(batches.map((b) => b.batchId)),
    );
    expect(JSON.stringify(s)).to.not.include(ids[0]);
  });
});
