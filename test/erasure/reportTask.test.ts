// The report task against the local stack in the emulator: a batch made with Lethe's own modules
// (local/fixtures/sampleReportBatch.ts) reaches Report; each request's report is written (keyed hashes only),
// every version of every object that held raw IDs is gone, the records hold none, the batch and its
// requests are COMPLETED; a rerun, and a retry after a run that died half-way, finish the same job.
import { expect } from "chai";
import { ListObjectVersionsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetCommand, QueryCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import { ErasureReport, reportUri } from "../../runtime/contracts/report";
import type { LocalStack } from "../../runtime/contracts/stack";
import { decideApproval } from "../../runtime/erasure/approval";
import { getBatch, recordStep } from "../../runtime/erasure/batches";
import { readReport } from "../../runtime/erasure/report/reportStore";
import { reportView } from "../../runtime/erasure/report/reportView";
import { requestStatus } from "../../runtime/erasure/status";
import type { SubjectHasher } from "../../runtime/subjects/subjectHash";
import { reportBatch, ReportTaskDeps } from "../../runtime/erasure/workflow/tasks/report";
import type { SampleBatch } from "../../local/fixtures/sampleReportBatch";
import { reportFixture, ReportFixture } from "../support/sampleReports";

/** The error a promise fails with (undefined when it succeeds). */
async function failure(p: Promise<unknown>): Promise<Error | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** Every version and delete marker under a prefix. */
async function versionsUnder(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
  return (out.Versions ?? []).length + (out.DeleteMarkers ?? []).length;
}

/** Every item of a table, as JSON text (to look for a raw ID anywhere in it). */
async function tableText(deps: ReportTaskDeps, table: string): Promise<string> {
  const items: unknown[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return JSON.stringify(items);
}

describe("report task: reports written, raw IDs dropped everywhere, the batch COMPLETED", function () {
  this.timeout(120_000);
  let stack: LocalStack;
  let hasher: SubjectHasher;
  let deps: ReportTaskDeps;
  let seed: ReportFixture["seed"];
  const s3 = makeS3Client();
  const doc = makeDocumentClient();

  before(async () => {
    const f = await reportFixture();
    ({ stack, hasher, deps } = f);
    seed = f.seed;
  });

  async function request(id: string): Promise<Record<string, unknown>> {
    return (await doc.send(new GetCommand({ TableName: stack.requestsTable, Key: { requestId: id } }))).Item!;
  }

  async function expectRawIdsGone(b: SampleBatch): Promise<void> {
    expect(await versionsUnder(s3, stack.lakeBucket, b.manifestPrefix), "manifest versions").to.equal(0);
    for (const key of b.rawIdKeys)
      expect(await versionsUnder(s3, stack.lakeBucket, key), `versions of ${key}`).to.equal(0);
    const tables = [stack.requestsTable, stack.ledgerTable, stack.auditTable];
    const text = (await Promise.all(tables.map((t) => tableText(deps, t)))).join("\n");
    for (const id of b.subjects.flat()) expect(text, "a raw ID in Lethe's tables").to.not.include(id);
    for (const id of b.requestIds) {
      const item = await request(id);
      expect(item).to.not.have.property("subjects");
      expect(item.rawIdsDropped).to.be.an("object");
    }
  }

  async function reportsOf(b: SampleBatch): Promise<ErasureReport[]> {
    const out: ErasureReport[] = [];
    for (const id of b.requestIds) {
      const r = await readReport(s3, deps.reportBucket.bucket, id);
      expect(r, `report of ${id}`).to.not.equal(undefined);
      out.push(r!);
    }
    return out;
  }

  it("a verified batch: each request's report, every version holding raw IDs deleted, COMPLETED", async () => {
    const b = await seed({ ending: "verified" });
    expect(await versionsUnder(s3, stack.lakeBucket, b.manifestPrefix)).to.equal(2);
    expect(await versionsUnder(s3, stack.lakeBucket, b.rawIdKeys[0])).to.equal(2);

    const reply = await reportBatch(deps, b.state);
    expect(reply.state).to.equal("COMPLETED");
    expect(reply.requests.map((r) => r.requestId)).to.deep.equal(b.requestIds);
    expect(reply.requests.map((r) => r.report)).to.deep.equal(
      b.requestIds.map((id) => reportUri(deps.reportBucket.bucket, id)),
    );
    // manifest: 2 versions; first ID file: 2, second: 1.
    expect(reply.counts.rawIdVersionsDeleted).to.equal(5);
    // Rows removed everywhere: the lake's mappers and the stores.
    const rows =
      Object.values(b.ledger).reduce((n, m) => n + m.rows, 0) +
      Object.values(b.storeOutcomes).reduce((n, t) => n + t.rowsRemoved, 0);
    expect(reply.counts).to.include({ requests: 2, subjects: 6, rowsRemoved: rows });
    for (const id of b.subjects.flat()) expect(JSON.stringify(reply)).to.not.include(id);

    await expectRawIdsGone(b);
    const batch = (await getBatch(deps, b.batchId))!;
    expect(batch.status).to.equal("COMPLETED");
    expect(batch.completedAt).to.be.a("string");
    expect(batch.steps?.report?.endedAt).to.be.a("string");
    for (const id of b.requestIds) {
      const item = await request(id);
      expect(item.status).to.equal("COMPLETED");
      expect(item.report).to.equal(reportUri(deps.reportBucket.bucket, id));
      expect(item.ttl)
        .to.be.a("number")
        .greaterThan(Date.now() / 1000);
    }

    const reports = await reportsOf(b);
    reports.forEach((r, i) => {
      expect(r.state).to.equal("COMPLETED");
      expect(r.batchId).to.equal(b.batchId);
      expect(r.subjectHashes).to.have.members(b.subjects[i].map((id) => hasher.hash(id)));
      expect(r.subjectCount).to.equal(3);
      expect(r.batch).to.deep.equal({ requestCount: 2, subjectCount: 6 });
      expect(r.rawIdsDropped).to.equal(true);
      expect(r.rawIds?.versionsDeleted).to.equal(i === 0 ? 4 : 3);
      expect(r.completedAt).to.equal(batch.completedAt);
      expect(r.requestedBy).to.equal(i === 0 ? "dpo@example.com" : "privacy-desk");
      for (const [mapper, m] of Object.entries(b.ledger)) {
        const t = r.targets.find((x) => x.kind === "lake" && x.name === mapper)!;
        expect(t, mapper).to.include({
          outcome: "erased",
          objectsRewritten: m.objects,
          versionsDeleted: m.versions,
          rowsRemoved: m.rows,
          bytesScanned: b.bytesScanned[mapper],
        });
      }
      expect(r.targets.find((x) => x.name === "orders-db")).to.deep.equal(b.storeOutcomes["orders-db"]);
      expect(r.verification).to.include({
        remainingRows: 0,
        rounds: 1,
        objectsChecked: 5,
        versionsChecked: 9,
      });
      expect(r.steps.map((s) => s.step)).to.include.members(["find", "forget", "verify", "report"]);
      expect(r.steps.find((s) => s.step === "report")?.endedAt).to.be.a("string");
      expect(r.audit.map((e) => e.event)).to.deep.equal([
        "recorded",
        "found",
        "purged",
        "verified",
        // The report task's own move of the request to COMPLETED (every move is audited).
        "state",
        "raw-ids-dropped",
        "reported",
      ]);
      const text = JSON.stringify(r);
      for (const id of b.subjects.flat()) expect(text).to.not.include(id);
      expect(text).to.not.include("token-");
    });
  });

  it("the verdict: ERASED where rows were removed, NOTHING_FOUND where no data was found, in the report and in status", async () => {
    const tables = { doc, requestsTable: stack.requestsTable, ledgerTable: stack.ledgerTable };
    const erased = await seed({ ending: "verified" });
    await reportBatch(deps, erased.state);
    for (const r of await reportsOf(erased)) expect(r.verdict).to.equal("ERASED");
    const erasedStatus = await requestStatus(tables, { requestId: erased.requestIds[0] });
    expect(erasedStatus.verdict).to.equal("ERASED");

    const none = await seed({ ending: "nothing-found" });
    const reply = await reportBatch(deps, none.state);
    expect(reply.state).to.equal("COMPLETED");
    for (const r of await reportsOf(none)) {
      expect(r.state).to.equal("COMPLETED");
      expect(r.verdict).to.equal("NOTHING_FOUND");
      // Where Lethe looked: every mapper of the plan, every store, and what find scanned.
      expect(r.searched).to.deep.equal({
        mappers: ["clicks", "events"],
        stores: ["orders-db"],
        bytesScanned: none.bytesScanned.events + none.bytesScanned.clicks,
      });
      const view = reportView(r);
      expect(view.verdict).to.match(/^Nothing found: no data of the subjects was found in 2 data mappers/);
      expect(view.verdict).to.not.match(/Erased/);
    }
    const status = await requestStatus(tables, { requestId: none.requestIds[1] });
    expect(status).to.include({ state: "COMPLETED", verdict: "NOTHING_FOUND" });
    expect(status.searched).to.deep.equal({
      mappers: ["clicks", "events"],
      stores: ["orders-db"],
      bytesScanned: none.bytesScanned.events + none.bytesScanned.clicks,
    });
  });

  it("a rerun finishes with the same result and changes nothing (no second audit entry)", async () => {
    const b = await seed({ ending: "verified" });
    const first = await reportBatch(deps, b.state);
    const before = await reportsOf(b);
    const again = await reportBatch(deps, b.state);
    expect(again.requests).to.deep.equal(first.requests);
    expect(again.counts).to.deep.equal(first.counts);
    const after = await reportsOf(b);
    const strip = (r: ErasureReport) => ({ ...r, generatedAt: "" });
    expect(after.map(strip)).to.deep.equal(before.map(strip));
    await expectRawIdsGone(b);
  });

  it("a retry after a run that died half-way (one ID file deleted, the next not) completes the job", async () => {
    const b = await seed({ ending: "verified" });
    // The second request's ID-file deletion fails, as a Lambda timing out there would.
    let deletes = 0;
    const dying = {
      send: (command: { constructor: { name: string } }) => {
        if (command.constructor.name === "DeleteObjectsCommand" && ++deletes === 3)
          return Promise.reject(new Error("Task timed out"));
        return s3.send(command as never);
      },
    } as unknown as S3Client;
    const err = await failure(reportBatch({ ...deps, s3: dying }, b.state));
    expect(err?.message).to.equal("Task timed out");
    expect(await versionsUnder(s3, stack.lakeBucket, b.rawIdKeys[0])).to.equal(0);
    expect(await versionsUnder(s3, stack.lakeBucket, b.rawIdKeys[1])).to.equal(1);
    expect((await getBatch(deps, b.batchId))!.status).to.equal("VERIFYING");

    // The first request's hashes now live only in its first report: the retry takes them from there.
    const reply = await reportBatch(deps, b.state);
    expect(reply.state).to.equal("COMPLETED");
    expect(reply.counts.rawIdVersionsDeleted).to.equal(5);
    await expectRawIdsGone(b);
    const reports = await reportsOf(b);
    expect(reports[0].subjectHashes).to.have.members(b.subjects[0].map((id) => hasher.hash(id)));
    expect(reports.map((r) => r.state)).to.deep.equal(["COMPLETED", "COMPLETED"]);
    expect(reports[0].audit.filter((e) => e.event === "raw-ids-dropped")).to.have.length(1);
  });

  it("a large request's hashes come from its hashes file beside the ID file (which is kept: no raw ID)", async () => {
    const b = await seed({ ending: "verified" });
    const key = b.rawIdKeys[0].replace(/ids\.jsonl$/, "subject-hashes.json");
    const hashes = b.subjects[0].map((id) => hasher.hash(id)).reverse();
    await s3.send(new PutObjectCommand({ Bucket: stack.lakeBucket, Key: key, Body: JSON.stringify(hashes) }));
    await doc.send(
      new UpdateCommand({
        TableName: stack.requestsTable,
        Key: { requestId: b.requestIds[0] },
        UpdateExpression: "SET subjectHashesFile = :f",
        ExpressionAttributeValues: { ":f": { bucket: stack.lakeBucket, key } },
      }),
    );
    await reportBatch(deps, b.state);
    expect((await reportsOf(b))[0].subjectHashes).to.deep.equal(hashes);
    expect(await versionsUnder(s3, stack.lakeBucket, key)).to.equal(1);
    await expectRawIdsGone(b);
  });

  it("a rejected batch: REJECTED reports with the reason, raw IDs dropped, nothing moved", async () => {
    const b = await seed({ ending: "rejected" });
    const resumed: unknown[] = [];
    await decideApproval(
      { ...deps, resume: async (_t, output) => void resumed.push(output) },
      { batchId: b.batchId, decision: "reject", reason: "plan touches the <finance> archive", by: "auditor" },
    );
    const reply = await reportBatch(deps, { ...b.state, approval: resumed[0] as { decision: string } });
    expect(reply.state).to.equal("REJECTED");
    await expectRawIdsGone(b);
    expect((await getBatch(deps, b.batchId))!.status).to.equal("REJECTED");
    for (const r of await reportsOf(b)) {
      expect(r.state).to.equal("REJECTED");
      expect(r.approval).to.deep.include({
        decision: "reject",
        by: "auditor",
        reason: "plan touches the <finance> archive",
      });
      expect(r).to.not.have.property("verification");
      expect(r.completedAt).to.equal(undefined);
      expect(r.targets.filter((t) => t.kind === "lake").map((t) => t.outcome)).to.deep.equal([
        "not-run",
        "not-run",
      ]);
      expect(r.targets.find((t) => t.name === "events")).to.include({ objectsPlanned: 4, rowsRemoved: 0 });
    }
    for (const id of b.requestIds) expect((await request(id)).status).to.equal("REJECTED");
  });

  it("a batch that needs attention: NOT_COMPLETED reports of what was done and why, raw IDs kept, nothing moved", async () => {
    const tables = { doc, requestsTable: stack.requestsTable, ledgerTable: stack.ledgerTable };
    const b = await seed({ ending: "needs-attention" });
    const reply = await reportBatch(deps, b.state);
    expect(reply).to.deep.include({ state: "NEEDS_ATTENTION" });
    expect(reply.counts).to.include({ requests: 2, subjects: 6, rowsRemoved: 46, rawIdVersionsDeleted: 0 });
    expect(reply.message).to.include(`lethe retry ${b.batchId}`);
    // Nothing dropped: the manifest (both versions) and every ID file are there for the retry.
    expect(await versionsUnder(s3, stack.lakeBucket, b.manifestPrefix)).to.equal(2);
    for (const key of b.rawIdKeys) expect(await versionsUnder(s3, stack.lakeBucket, key), key).to.be.above(0);
    expect((await getBatch(deps, b.batchId))!.status).to.equal("NEEDS_ATTENTION");
    for (const [i, r] of (await reportsOf(b)).entries()) {
      const item = await request(b.requestIds[i]);
      expect(item).to.include({
        status: "NEEDS_ATTENTION",
        report: reportUri(deps.reportBucket.bucket, r.requestId),
      });
      expect(item).to.not.have.property("ttl");
      expect(item.idsFile).to.be.an("object");
      expect(r).to.include({ state: "NEEDS_ATTENTION", verdict: "NOT_COMPLETED", rawIdsDropped: false });
      expect(r.attention).to.deep.equal({
        reason: (b.state.attention as { reason: string }).reason,
        action: `lethe retry ${b.batchId}`,
      });
      expect(r.verification).to.include({ remainingRows: 3, rounds: 3, objectsChecked: 5 });
      expect(r.targets.find((t) => t.name === "events")).to.include({ objectsPlanned: 4, rowsRemoved: 36 });
      expect(r.targets.find((t) => t.name === "orders-db")).to.include({ outcome: "erased", rowsRemoved: 6 });
      expect(r.subjectHashes).to.have.length(3);
      expect(r.signedWith).to.be.an("object");
      for (const id of b.subjects.flat()) expect(JSON.stringify(r)).to.not.include(id);
      expect(r.audit.filter((e) => e.event === "attention-reported")).to.have.length(1);
      const view = reportView(r);
      expect(view.verdict).to.match(/^Not completed: the erasure stopped and needs attention/);
      expect(view.attention).to.deep.include(["Why", r.attention!.reason]);
    }
    expect(await requestStatus(tables, { requestId: b.requestIds[0] })).to.include({
      state: "NEEDS_ATTENTION",
      verdict: "NOT_COMPLETED",
      report: reportUri(deps.reportBucket.bucket, b.requestIds[0]),
    });
    // A Lambda retry of the task appends no second audit entry.
    await reportBatch(deps, b.state);
    for (const r of await reportsOf(b))
      expect(r.audit.filter((e) => e.event === "attention-reported")).to.have.length(1);

    // A batch that had ended otherwise before the failure gets no report of needing attention.
    const done = await seed({ ending: "verified" });
    await reportBatch(deps, done.state);
    const before = await reportsOf(done);
    const none = await reportBatch(deps, { ...done.state, attention: { status: "COMPLETED" } });
    expect(none.requests).to.deep.equal([]);
    expect(await reportsOf(done)).to.deep.equal(before);
  });

  it("refuses a batch that has not verified clean, and an unknown batch, changing nothing", async () => {
    const b = await seed({ ending: "verified" });
    let err = await failure(reportBatch(deps, { ...b.state, verify: { hits: 3 } }));
    expect(err?.message).to.match(/has not verified clean \(verify.hits is 3\)/);
    // Without verify's reply (a console event), what verify recorded on the batch decides.
    await recordStep(deps, b.batchId, "verify", { startedAt: new Date().toISOString(), counts: { hits: 2 } });
    err = await failure(reportBatch(deps, { batchId: b.batchId, round: 0 }));
    expect(err?.message).to.match(/has not verified clean \(verify.hits is 2\)/);
    expect(await versionsUnder(s3, stack.lakeBucket, b.manifestPrefix)).to.equal(2);
    expect((await getBatch(deps, b.batchId))!.status).to.equal("VERIFYING");
    const out = await doc.send(
      new QueryCommand({
        TableName: stack.auditTable,
        KeyConditionExpression: "requestId = :r",
        ExpressionAttributeValues: { ":r": b.requestIds[0] },
      }),
    );
    expect((out.Items ?? []).map((e) => e.step)).to.not.include("raw-ids-dropped");

    err = await failure(reportBatch(deps, { batchId: "b-nope" }));
    expect(err).to.be.instanceOf(UsageError);
    expect(err?.message).to.equal("report: batch b-nope does not exist");
  });
});
