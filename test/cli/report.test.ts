// `lethe report` against the local stack: a report the report task wrote, read back from the stack's
// report bucket and printed as JSON, Markdown or the HTML certificate, or written to a file; an
// unknown request is a one-line error with exit 2 (run as a user runs it, bin/lethe in a child).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import type { ErasureReport } from "../../runtime/contracts/report";
import { main } from "../../cli/index";
import { captureStdout } from "../support/captureStdout";
import { reportFixture } from "../support/sampleReports";

const root = path.resolve(__dirname, "../..");

describe("cli: lethe report", function () {
  this.timeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-report-"));
  let outputs: string;
  let report: ErasureReport;
  let rawIds: string[];
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    const f = await reportFixture();
    const done = await f.reported({ ending: "verified" });
    report = done.reports[1];
    rawIds = done.batch.subjects.flat();
    outputs = path.join(dir, "local.json");
    fs.writeFileSync(outputs, JSON.stringify({ ...f.stack, reportBucket: f.deps.reportBucket.bucket }));
  });

  const run = (...args: string[]) =>
    captureStdout(() => main(["report", ...args, "--stack-outputs", outputs]));

  it("prints the report as JSON (the default), exactly as the report bucket holds it", async () => {
    const { result, output } = await run(report.requestId);
    expect(result).to.equal(0);
    expect(JSON.parse(output.join(""))).to.deep.equal(report);
  });

  it("prints Markdown and writes the HTML certificate to --out; no raw ID in either", async () => {
    const md = await run(report.requestId, "--format", "md");
    expect(md.result).to.equal(0);
    const text = md.output.join("");
    expect(text).to.include(`request ${report.requestId}`);
    expect(text).to.include("| State | COMPLETED |");
    for (const h of report.subjectHashes) expect(text).to.include(h);

    const file = path.join(dir, "certificate.html");
    const html = await run(report.requestId, "--format=html", "--out", file);
    expect(html.result).to.equal(0);
    expect(html.output.join("")).to.equal("");
    const page = fs.readFileSync(file, "utf8");
    expect(page).to.match(/^<!DOCTYPE html>/);
    expect(page).to.include(`<strong id="request-id">${report.requestId}</strong>`);
    for (const id of rawIds) expect(text + page).to.not.include(id);
  });

  it("an unknown request id, a bad format or a missing id: one-line error, exit 2", () => {
    const lethe = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(root, "bin", "lethe"), "report", ...args], {
        encoding: "utf8",
        cwd: root,
      });
    const unknown = lethe("req-does-not-exist", "--stack-outputs", outputs);
    expect(unknown.status, unknown.stderr).to.equal(2);
    expect(unknown.stdout).to.equal("");
    expect(unknown.stderr.trimEnd().split("\n"), unknown.stderr).to.have.length(1);
    expect(unknown.stderr).to.match(
      /^lethe: no request req-does-not-exist in this stack \(no report in s3:\/\//,
    );

    const format = lethe(report.requestId, "--format", "pdf", "--stack-outputs", outputs);
    expect(format.status).to.equal(2);
    expect(format.stderr).to.match(/^lethe: .*--format.*'pdf'.*json, md, html/);

    const bad = lethe("../x", "--stack-outputs", outputs);
    expect(bad.status).to.equal(2);
    expect(bad.stderr.trimEnd().split("\n")).to.have.length(1);
  });
});
