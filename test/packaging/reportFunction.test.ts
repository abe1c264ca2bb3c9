// The report function from packaged code, as the program declares it and `pulumi up` packages it: it reports a sample batch of
// the local stack (the state machine's state as its event), drops the batch's raw IDs, and a second
// invocation (a Lambda retry) finishes with the same reply.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { envNames } from "../../runtime/contracts/env";
import { reportSignatureValid } from "../../runtime/contracts/reportSignature";
import { readSignedReport } from "../../runtime/erasure/report/reportStore";
import { erasureEnvironment } from "../../runtime/erasure/settings";
import type { ReportTaskReply } from "../../runtime/erasure/workflow/tasks/report";
import {
  loadPackagedHandler,
  PackagedFunction,
  packagedFunction,
  zipFunction,
} from "../../local/program/packaging";
import { captureStdout } from "../support/captureStdout";
import { reportFixture, ReportFixture } from "../support/sampleReports";

describe("packaging: the report function runs from its package", function () {
  this.timeout(300_000);
  let fn: PackagedFunction;
  let f: ReportFixture;

  before(async () => {
    fn = await packagedFunction("report");
    f = await reportFixture();
  });

  it("carries the compiled report task and none of the purge or find engines", async () => {
    expect(fn.entries).to.deep.equal(["runtime/handlers/report.ts"]);
    for (const file of [
      "handlers/report.js",
      "erasure/workflow/tasks/report.js",
      "erasure/report/everyVersion.js",
    ]) {
      expect(fs.existsSync(path.join(fn.dir, "node_modules/@lethe/runtime", file)), file).to.equal(true);
    }
    expect(fn.packages).to.not.include.members(["parquet-wasm", "@duckdb/node-api", "apache-arrow"]);
    const { bytes } = await zipFunction(fn);
    console.log(
      `      ${fn.shortName}: zip ${(bytes / 1e6).toFixed(2)} MB, ${fn.files} files, ${fn.packages.length} packages; ` +
        `requires ${fn.directPackages.join(", ")}`,
    );
  });

  it("reports a verified batch, drops its raw IDs, logs no ID, and a retry replies the same", async () => {
    const { stack, deps } = f;
    const batch = await f.seed({ ending: "verified" });
    const env = {
      AWS_ENDPOINT_URL: stack.endpoint,
      [envNames.requestsTable]: stack.requestsTable,
      [envNames.ledgerTable]: stack.ledgerTable,
      [envNames.auditTable]: stack.auditTable,
      [envNames.auditBucket]: stack.auditBucket,
      [envNames.reportBucket]: deps.reportBucket.bucket,
      [envNames.kmsKeyArn]: stack.kmsKeyArn,
      [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn,
      [envNames.reportSigningKeyArn]: stack.reportSigningKeyArn,
      ...erasureEnvironment(stack.erasureSettings),
    };
    const handler = loadPackagedHandler(fn, env);
    const { result, output } = await captureStdout(() => handler(batch.state));
    const reply = result as ReportTaskReply;
    // Its logs and metrics: the counts, never an ID.
    expect(output.join("")).to.include(`batch ${batch.batchId} COMPLETED`);
    for (const id of batch.subjects.flat()) expect(output.join("")).to.not.include(id);
    expect(reply.state).to.equal("COMPLETED");
    expect(reply.requests.map((r) => r.requestId)).to.deep.equal(batch.requestIds);
    expect(reply.counts).to.include({ requests: 2, subjects: 6, rawIdVersionsDeleted: 5 });
    for (const id of batch.subjects.flat()) expect(JSON.stringify(reply)).to.not.include(id);
    for (const key of batch.rawIdKeys) {
      const v = await deps.s3.send(new ListObjectVersionsCommand({ Bucket: stack.lakeBucket, Prefix: key }));
      expect([...(v.Versions ?? []), ...(v.DeleteMarkers ?? [])], key).to.deep.equal([]);
    }
    // Each report signed with the stack's key, naming where it was made.
    for (const id of batch.requestIds) {
      const stored = (await readSignedReport(deps.s3, deps.reportBucket.bucket, id))!;
      expect(reportSignatureValid(stored.bytes, stored.signature!, stack.reportSigningPublicKey)).to.equal(
        true,
      );
      expect(stored.report.producedBy).to.include({
        emulator: true,
        account: stack.reportSigningKeyArn.split(":")[4],
      });
    }
    const again = (await captureStdout(() => loadPackagedHandler(fn, env)(batch.state))).result;
    expect(again).to.deep.equal(reply);
  });
});
