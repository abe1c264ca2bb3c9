// The main job end to end against the local emulator: request, find, purge under the mutex, verify,
// opt-out, ingest guard; and the command line around it.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { sharedLocalStack } from "../support/localStack";
import { writeSampleLake } from "../../tools/sampleLake";
import { runLocalErasure } from "../../runtime/erasure/localErasure";
import { getErasureRequest } from "../../runtime/erasure/request";
import { readAudit } from "../../runtime/erasure/audit";
import { loadSubjectHasher } from "../../runtime/erasure/subjectHash";
import { makeKmsClient } from "../../runtime/aws/clients";
import { localPipelineSettings } from "../../tools/stackSettings";
import { candidateIds, enumerate } from "../support/enumeration";

describe("lethe demo: the erasure pipeline end to end", () => {
  it("erases exactly the subjects' rows, verifies, keeps no raw ID in the record, and drops their new records", async () => {
    const stack = await sharedLocalStack();
    const customers = Array.from({ length: 60 }, (_, i) => `c-${i}`);
    const objects = await writeSampleLake(makeS3Client(), stack.lakeBucket, {
      days: ["2026-11-01"],
      objectsPerDay: 3,
      rowsPerObject: 3000,
      rowGroupRows: 1000,
      customers,
      runId: randomUUID().slice(0, 8),
    });
    const subjects = ["c-7", "c-31"];
    const expectedRows = objects.reduce(
      (a, o) => a + subjects.reduce((b, s) => b + (o.rowsByCustomer.get(s) ?? 0), 0),
      0,
    );
    expect(expectedRows).to.be.greaterThan(0);

    const report = await runLocalErasure({
      stack,
      objects,
      subjects,
      ...localPipelineSettings(),
      concurrency: 2,
    });

    expect(report.status).to.equal("COMPLETED");
    expect(report.find.rowsHoldingSubjects).to.equal(expectedRows);
    expect(report.forget.rowsRemoved).to.equal(expectedRows);
    for (const o of report.forget.objects) expect(o.rowsBefore - o.rowsAfter).to.equal(o.rowsRemoved);
    expect(report.verify).to.deep.include({
      rowsStillHoldingSubjects: 0,
      olderVersionsLeft: 0,
      passed: true,
    });
    expect(report.ingestGuard.dropped).to.equal(subjects.length);
    expect(report.ingestGuard.subjectsRecordsLetThrough).to.equal(0);
    const hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    expect(report.subjects).to.deep.equal(subjects.map((s) => hasher.hash(s)));

    const doc = makeDocumentClient();
    const request = await getErasureRequest(doc, stack.requestsTable, report.requestId);
    expect(request?.status).to.equal("COMPLETED");
    expect(request?.idsFile).to.equal(undefined);
    expect(request?.subjectHashes).to.deep.equal(report.subjects);
    const trail = await readAudit(doc, stack.auditTable, report.requestId);
    expect(trail.map((e) => e.step)).to.include.members(["recorded", "found", "purged", "verified"]);
    const recorded = JSON.stringify({ trail, report });
    for (const s of subjects) expect(recorded).to.not.match(new RegExp(`"${s}"`));
    expect(enumerate(recorded, candidateIds("c"))).to.deep.equal([]);
  });

  it("refuses bad options with exit code 2 and a message naming the option", () => {
    const root = path.resolve(__dirname, "../..");
    const run = spawnSync(process.execPath, ["bin/lethe", "demo", "--rows", "many"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.match(/--rows must be a whole number/);
  });
});
