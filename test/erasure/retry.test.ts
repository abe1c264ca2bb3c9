// `lethe retry <batchId>` (issue 24 item 5) against the emulator: a batch that ended NEEDS_ATTENTION
// after its objects were purged is resumed by the batch function from its forget round, with the same
// manifest and ledger: nothing is purged again (the ledger's entries and the objects' versions stay as
// they were), and it ends COMPLETED; a batch whose raw IDs were dropped is refused, naming why.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { UsageError } from "../../runtime/contracts/errors";
import { getBatch } from "../../runtime/erasure/batches";
import { batchPartitionKey, summarySortKey } from "../../runtime/erasure/forget/ledger";
import { dropEndedRequestIds, getErasureRequest } from "../../runtime/erasure/request";
import { readSignedReport } from "../../runtime/erasure/report/reportStore";
import { reportSignatureValid } from "../../runtime/contracts/reportSignature";
import type { ErasureReport } from "../../runtime/contracts/report";
import { retry } from "../../cli/work/erasureCommands";
import { startLocalBatch, LocalBatchOptions } from "../../local/erasure";
import { writeSampleLake } from "../../local/fixtures/sampleLake";
import { serveWarmStack, ServedWarmStack } from "../../local/serve";
import { outputKeyOf } from "../../local/program/packaging";
import { sharedLocalStack } from "../support/localStack";
import { makeBatch, tablesOf, tempDir } from "./workflowFixtures";

describe("lethe retry: a batch that needs attention resumed from the step that failed", function () {
  this.timeout(900_000);
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  let stack: LocalStack;
  let dir: string;
  let served: ServedWarmStack;
  let outputs: string;
  let customers: string[];
  let keys: string[];
  let options: LocalBatchOptions;

  before(async () => {
    stack = await sharedLocalStack();
    dir = tempDir();
    const run = randomUUID().slice(0, 8);
    customers = Array.from({ length: 30 }, (_, i) => `retry-${run}-${i}`);
    const objects = await writeSampleLake(s3, stack.lakeBucket, {
      days: [new Date().toISOString().slice(0, 10)],
      objectsPerDay: 3,
      rowsPerObject: 300,
      rowGroupRows: 100,
      customers,
      runId: `retry-${run}`,
    });
    keys = objects.map((o) => o.key);
    options = {
      drainSeconds: 0,
      ledgerPollSeconds: 1,
      batchPollMs: 200,
      findCacheDir: path.join(dir, "find"),
    };
    outputs = path.join(dir, "local.json");
    served = await serveWarmStack(stack, outputs, { drainSeconds: 0 });
  });
  after(async () => {
    await served?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Each ledger entry of the batch's objects, by sort key: its outcome and revision. */
  async function ledgerEntries(batchId: string): Promise<Record<string, string>> {
    const out = await doc.send(
      new QueryCommand({
        TableName: stack.ledgerTable,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :o)",
        ExpressionAttributeValues: { ":pk": batchPartitionKey(batchId), ":o": "object#" },
        ConsistentRead: true,
      }),
    );
    return Object.fromEntries((out.Items ?? []).map((i) => [i.sk, `${i.outcome} ${i.revision}`]));
  }

  async function versionsOf(key: string): Promise<string[]> {
    const out = await s3.send(new ListObjectVersionsCommand({ Bucket: stack.lakeBucket, Prefix: key }));
    return (out.Versions ?? []).map((v) => String(v.VersionId)).sort();
  }

  /** A batch run locally whose Verify step fails once its objects are purged: it ends NEEDS_ATTENTION. */
  async function batchFailedAtVerify(ids: string[]) {
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    const execution = await startLocalBatch(stack, batch, {
      ...options,
      handlerOverrides: {
        Verify: async () => {
          throw Object.assign(new Error("the engine was unreachable"), { name: "EngineUnreachable" });
        },
      },
    });
    await execution.result.catch(() => undefined);
    const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    expect(record.status, record.reason).to.equal("NEEDS_ATTENTION");
    expect(record.reason).to.include("EngineUnreachable");
    return batch;
  }

  /** The request's report as stored, after checking its signature with the stack's public key. */
  async function signedReport(requestId: string): Promise<ErasureReport> {
    const stored = await readSignedReport(s3, stack.reportBucket, requestId);
    expect(stored, `report of ${requestId}`).not.to.equal(undefined);
    expect(stored!.signature, "signature").not.to.equal(undefined);
    expect(reportSignatureValid(stored!.bytes, stored!.signature!, stack.reportSigningPublicKey)).to.equal(
      true,
    );
    const changed = Buffer.from(stored!.bytes);
    changed[changed.indexOf('"verdict"') + 12] ^= 1;
    expect(reportSignatureValid(changed, stored!.signature!, stack.reportSigningPublicKey)).to.equal(false);
    return stored!.report;
  }

  it("resumes at its forget round: nothing purged again, verified, COMPLETED", async () => {
    const ids = [customers[4], customers[11]];
    const batch = await batchFailedAtVerify(ids);
    // Stopped: each request has a signed NOT_COMPLETED report of what was done and why, and stays
    // NEEDS_ATTENTION with its raw IDs (retry needs them).
    for (const requestId of batch.requestIds) {
      const request = (await getErasureRequest(doc, stack.requestsTable, requestId))!;
      expect(request.status).to.equal("NEEDS_ATTENTION");
      expect(request.idsFile, "the raw IDs are kept for the retry").not.to.equal(undefined);
      expect(request.report).to.equal(
        `s3://${stack.reportBucket}/reports/request_id=${requestId}/report.json`,
      );
      const report = await signedReport(requestId);
      expect(report).to.include({ requestId, batchId: batch.batchId, state: "NEEDS_ATTENTION" });
      expect(report.verdict).to.equal("NOT_COMPLETED");
      expect(report.attention!.reason).to.include("EngineUnreachable");
      expect(report.attention!.action).to.equal(`lethe retry ${batch.batchId}`);
      expect(report.rawIdsDropped).to.equal(false);
      expect(report.verification, "verify never ran").to.equal(undefined);
      // What was done so far: the plan and the rows forget removed, by mapper.
      expect(report.steps.map((s) => s.step)).to.include.members(["find", "forget"]);
      expect(report.targets.reduce((n, t) => n + t.rowsRemoved, 0)).to.be.above(0);
      expect(report.targets.some((t) => (t.objectsPlanned ?? 0) > 0)).to.equal(true);
      expect(report.subjectHashes).to.have.length(ids.length);
      const text = JSON.stringify(report);
      for (const id of ids) expect(text).not.to.include(id);
      expect(report.audit.map((e) => e.event)).to.include("attention-reported");
    }
    const purged = await ledgerEntries(batch.batchId);
    expect(Object.values(purged).filter((e) => e.startsWith("purged ")).length).to.be.above(0);
    const versionsBefore = await Promise.all(keys.map(versionsOf));

    const result = await retry(
      batch.batchId,
      { by: "test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0 },
    );
    expect(result.retry).to.include({ batchId: batch.batchId, resumedAt: "Forget", round: 0 });
    expect(result.ok, JSON.stringify(result.statuses)).to.equal(true);
    expect(result.statuses!.map((s) => s.state)).to.deep.equal(batch.requestIds.map(() => "COMPLETED"));
    const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    expect(record.status).to.equal("COMPLETED");
    expect(record.executionId).to.equal(result.retry.executionId);
    // The same ledger: every object's entry as the first run left it (no purge ran again) ...
    expect(await ledgerEntries(batch.batchId)).to.deep.equal(purged);
    // ... and no object got a version more.
    expect(await Promise.all(keys.map(versionsOf))).to.deep.equal(versionsBefore);
    // Verify ran this time and found nothing left.
    const verify = record.steps?.verify?.counts ?? {};
    expect(verify).to.include({ hits: 0 });
    for (const requestId of batch.requestIds) {
      expect((await getErasureRequest(doc, stack.requestsTable, requestId))?.status).to.equal("COMPLETED");
      // The final report, in the place of the one of the stop, as soon as `retry --wait` returns: the
      // retry took the request's pointer to the stop's report away, and the report task points at the
      // final one only once it is written (before, the preliminary one could be read here).
      const report = await signedReport(requestId);
      expect(report).to.include({ state: "COMPLETED", verdict: "ERASED", rawIdsDropped: true });
      expect(report).not.to.have.property("attention");
      expect(report.audit.map((e) => e.event)).to.include.members([
        "attention-reported",
        "retried",
        "reported",
      ]);
    }
    const again = await retry(batch.batchId, {}, { stackOutputsFile: outputs }).catch((e: unknown) => e);
    expect((again as Error).message).to.equal(
      `batch ${batch.batchId} ended COMPLETED: there is nothing to retry`,
    );
  });

  it("a batch whose run was killed mid-forget: the deadline function flags it NEEDS_ATTENTION, retry resumes it", async () => {
    const ids = [customers[7], customers[25]];
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    const execution = await startLocalBatch(stack, batch, options);
    // The run is killed once its purges are sent: the batch stays FORGETTING with nothing to end it.
    for (;;) {
      const record = await getBatch(tablesOf(stack, doc), batch.batchId);
      if (record?.status === "FORGETTING" && record.forgetRounds?.["0"]) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    execution.abort();
    await execution.result.catch(() => undefined);
    // The batch names its execution, as the batch function records it (batching.ts).
    await doc.send(
      new UpdateCommand({
        TableName: stack.ledgerTable,
        Key: { pk: batchPartitionKey(batch.batchId), sk: summarySortKey },
        UpdateExpression: "SET executionId = :e",
        ExpressionAttributeValues: {
          ":e": `arn:aws:states:eu-west-1:123456789012:execution:gone:${execution.executionId}`,
        },
      }),
    );
    expect((await getBatch(tablesOf(stack, doc), batch.batchId))!.status).to.equal("FORGETTING");
    // The deadline function finds its execution gone and flags the batch: status no longer says FORGETTING.
    const deadline = String((stack as unknown as Record<string, unknown>)[outputKeyOf("deadline")]);
    const run = (await served.warm.invoke(deadline, {})) as { strandedBatches: Record<string, string>[] };
    expect(run.strandedBatches).to.deep.include({
      batchId: batch.batchId,
      state: "FORGETTING",
      execution: "gone",
    });
    const flagged = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    expect(flagged.status).to.equal("NEEDS_ATTENTION");
    expect(flagged.reason).to.include(`lethe retry ${batch.batchId}`);
    for (const requestId of batch.requestIds)
      expect((await getErasureRequest(doc, stack.requestsTable, requestId))?.status).to.equal(
        "NEEDS_ATTENTION",
      );

    const result = await retry(batch.batchId, { wait: true }, { stackOutputsFile: outputs, drainSeconds: 0 });
    expect(result.retry).to.include({ resumedAt: "Forget", round: 0 });
    expect(result.statuses!.map((s) => s.state)).to.deep.equal(batch.requestIds.map(() => "COMPLETED"));
    const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    expect(record.status).to.equal("COMPLETED");
    expect(record.steps?.verify?.counts).to.include({ hits: 0, remainingRows: 0 });
    // Each object was purged once: one version written per object that held a subject.
    const entries = await ledgerEntries(batch.batchId);
    expect(Object.values(entries).every((e) => /^(purged|nothing-to-do) /.test(e))).to.equal(true);
  });

  it("refuses a batch whose raw IDs were dropped, and an unknown batch", async () => {
    const batch = await batchFailedAtVerify([customers[20]]);
    const settings = {
      doc,
      s3,
      tableName: stack.requestsTable,
      erasure: stack.erasureSettings,
      now: () => new Date(),
    };
    expect(await dropEndedRequestIds(settings, batch.requestIds[0], "raw IDs dropped (test)")).to.equal(true);
    const refused = await retry(batch.batchId, {}, { stackOutputsFile: outputs }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(UsageError);
    expect((refused as Error).message).to.equal(
      `batch ${batch.batchId} cannot be retried: the raw IDs of its request ${batch.requestIds[0]} were dropped ` +
        "(kept lethe:failedRequestIdGraceDays past the deadline): file the erasure again",
    );
    expect((await getBatch(tablesOf(stack, doc), batch.batchId))!.status).to.equal("NEEDS_ATTENTION");
    const unknown = await retry("batch-none", {}, { stackOutputsFile: outputs }).catch((e: unknown) => e);
    expect((unknown as Error).message).to.equal("batch batch-none does not exist");
  });
});
