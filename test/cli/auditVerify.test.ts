// The audit trail's hash chain against the local stack: each entry holds the hash of the request's
// entry before it, the report holds the head under its signature, and `lethe audit verify` walks the
// trail in the stack's audit table (moto): intact after the report task, and when one entry is
// altered in DynamoDB, the first entry that no longer fits is named (exit 1).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { ErasureReport } from "../../runtime/contracts/report";
import { readAudit } from "../../runtime/erasure/audit";
import { auditGenesisHash, checkAuditChain } from "../../runtime/erasure/auditChain";
import { main } from "../../cli/index";
import { captureStdout } from "../support/captureStdout";
import { reportFixture, ReportFixture } from "../support/sampleReports";

describe("cli: lethe audit verify (the audit trail's hash chain)", function () {
  this.timeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-audit-verify-"));
  let f: ReportFixture;
  let outputs: string;
  let reports: ErasureReport[];
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    f = await reportFixture();
    reports = (await f.reported({ ending: "verified" })).reports;
    outputs = path.join(dir, "local.json");
    fs.writeFileSync(outputs, JSON.stringify({ ...f.stack, reportBucket: f.deps.reportBucket.bucket }));
  });

  const auditVerify = (requestId: string, ...more: string[]) =>
    captureStdout(() => main(["audit", "verify", requestId, "--stack-outputs", outputs, ...more]));
  const trail = async (id: string) =>
    (await readAudit(f.deps.doc, f.stack.auditTable, id)) as unknown as Record<string, unknown>[];

  it("chains every entry from the genesis value; the report holds the head; intact, exit 0", async () => {
    const r = reports[0];
    const items = await trail(r.requestId);
    expect(items[0].previousHash).to.equal(auditGenesisHash);
    for (const item of items) expect(item.previousHash).to.match(/^sha256:[0-9a-f]{64}$/);
    const check = checkAuditChain(items);
    expect(check.broken).to.equal(undefined);
    expect(r.auditChain).to.deep.equal({ entries: items.length, head: check.head });
    const { result, output } = await auditVerify(r.requestId);
    expect(result, output.join("")).to.equal(0);
    expect(output.join("")).to.match(new RegExp(`^INTACT: .* ${items.length} entries`));
    expect(output.join("")).to.include("its signed report holds the head");
  });

  it("an entry altered in DynamoDB: the next entry no longer fits and is named, exit 1", async () => {
    const r = reports[1];
    const items = await trail(r.requestId);
    expect(items.length).to.be.greaterThan(3);
    // Someone rewrites what the second entry says.
    const altered = { ...items[1], detail: { ...(items[1].detail as object), rows: 0 } };
    await f.deps.doc.send(new PutCommand({ TableName: f.stack.auditTable, Item: altered }));
    const { result, output } = await auditVerify(r.requestId);
    expect(result).to.equal(1);
    const text = output.join("");
    expect(text).to.match(/^BROKEN: /);
    expect(text).to.include(
      `entry 3 (${String(items[2].step)} at ${String(items[2].at).split("#")[0]}) does not fit`,
    );
    expect(text).to.include("is not the hash of the entry before it");
    const json = JSON.parse((await auditVerify(r.requestId, "--json")).output.join(""));
    expect(json.broken).to.include({ index: 2, step: items[2].step });
    expect(json.ok).to.equal(false);
  });

  it("the last entry removed: the chain left is whole, but the report's head is not reached, exit 1", async () => {
    const r = (await f.reported({ ending: "nothing-found" })).reports[0];
    const items = await trail(r.requestId);
    const last = items[items.length - 1];
    await f.deps.doc.send(
      new DeleteCommand({ TableName: f.stack.auditTable, Key: { requestId: r.requestId, at: last.at } }),
    );
    const { result, output } = await auditVerify(r.requestId);
    expect(result).to.equal(1);
    expect(output.join("")).to.include("which this trail does not reach");
  });

  it("an unknown request is a usage error (exit 2)", async () => {
    const { result } = await auditVerify("req-without-audit");
    expect(result).to.equal(2);
  });
});
