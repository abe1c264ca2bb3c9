// `lethe demo` run as a user runs it (bin/lethe in a child process) against an emulator of its own
// (AWS_ENDPOINT_URL): the stack up, a lake through the ingest guard, the erasure through the state
// machine to COMPLETED, the erased customers' new records dropped, and nothing left behind. It
// refuses an emulator where the stack is already up, and bad options, with exit 2.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { makeDynamoDbClient, makeS3Client } from "../../runtime/aws/clients";
import type { ErasureReport } from "../../runtime/contracts/report";
import { startLocalEmulator, LocalEmulator } from "../../local/emulator";
import { enumerate } from "../support/enumeration";

const root = path.resolve(__dirname, "../..");
const small = [
  "--customers",
  "50",
  "--objects-per-day",
  "1",
  "--rows",
  "600",
  "--erase",
  "cust-0003,cust-0017",
];

describe("cli: lethe demo, the whole job on a local stack", function () {
  this.timeout(600_000);
  let emulator: LocalEmulator;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-demo-test-"));
  before(async () => {
    emulator = await startLocalEmulator();
  });
  after(async () => {
    await emulator?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronous: the emulator this process started writes its log through this process's event loop.
  const lethe = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(root, "bin", "lethe"), ...args], {
        cwd: root,
        env: { ...process.env, AWS_ENDPOINT_URL: emulator.endpoint },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  const leftBehind = async () => {
    const settings = { endpoint: emulator.endpoint, region: "eu-west-1" };
    const tables = await makeDynamoDbClient(settings).send(new ListTablesCommand({}));
    const buckets = await makeS3Client(settings).send(new ListBucketsCommand({}));
    return [...(tables.TableNames ?? []), ...(buckets.Buckets ?? []).map((b) => b.Name!)];
  };

  it("--json: COMPLETED through the state machine, verified, re-ingestion dropped, nothing left behind", async () => {
    const r = await lethe("demo", "--json", ...small);
    expect(r.code, r.stderr).to.equal(0);
    const result = JSON.parse(r.stdout);
    expect(result).to.include({ ok: true, state: "COMPLETED", emulator: "given" });
    expect(result.lake).to.include({ objects: 2, rows: 1200, recordsDropped: 0, recordsFailed: 0 });
    const report = result.report as ErasureReport;
    expect(report.state).to.equal("COMPLETED");
    const lake = report.targets.find((t) => t.kind === "lake")!;
    expect(lake.rowsRemoved).to.be.greaterThan(0);
    expect(lake.objectsRewritten).to.equal(2);
    expect(report.verification?.remainingRows).to.equal(0);
    expect(report.steps.map((s) => s.step)).to.include.members(["find", "forget", "verify", "report"]);
    expect(result.reingest.ofErasedCustomers).to.be.greaterThan(0);
    expect(result.reingest).to.include({ dropped: result.reingest.ofErasedCustomers, reachedLake: 0 });
    // The whole result (report included) holds keyed hashes only, never a raw or guessable-key digest.
    const customers = Array.from({ length: 50 }, (_, i) => `cust-${String(i).padStart(4, "0")}`);
    expect(r.stdout).to.not.include("cust-0003").and.not.include("cust-0017");
    expect(enumerate(r.stdout, customers)).to.deep.equal([]);
    // Progress went to stderr, step by step.
    expect(r.stderr).to.match(/lethe demo up --local: \d+\/\d+/);
    expect(r.stderr).to.match(/lethe demo ingest: 2\/2/);
    expect(r.stderr).to.match(/lethe demo: erase: request .*: FORGETTING/);
    expect(r.stderr).to.match(/removed the demo's stack from/);
    expect(await leftBehind()).to.deep.equal([]);
    // The functions' logs went to a log file it named, not into the progress.
    expect(r.stderr.split("\n").filter((l) => l.trimStart().startsWith("{"))).to.deep.equal([]);
    const logFile = /^lethe demo: the functions' logs go to (\S+) /m.exec(r.stderr)?.[1];
    expect(logFile, r.stderr).to.be.a("string");
    expect(fs.existsSync(path.resolve(root, logFile!))).to.equal(true);
  });

  it("prints a short summary ending in COMPLETED, and writes the certificate with --report-out", async () => {
    const certificate = path.join(dir, "certificate.html");
    const r = await lethe("demo", ...small, "--report-out", certificate);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).to.equal("COMPLETED");
    expect(r.stdout).to.match(/^Lake: 2 GZIP Parquet objects, 1,200 rows of 50 customers/);
    expect(r.stdout).to.match(/Verification\s+passed: 0 matching rows remain/);
    expect(r.stdout).to.match(/Re-ingestion: (\d+) of \1 new records of the erased customers dropped/);
    expect(fs.readFileSync(certificate, "utf8")).to.match(/^<!doctype html>/i);
  });

  it("refuses an emulator where the stack is already up, leaving it as it was", async () => {
    const outputs = path.join(dir, "local.json");
    expect((await lethe("up", "--local", "--outputs", outputs)).code).to.equal(0);
    const before = await leftBehind();
    const r = await lethe("demo", ...small);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(
      /^lethe: demo: a Lethe stack is already up in http:\/\/127\.0\.0\.1:\d+ \(table /m,
    );
    expect(await leftBehind()).to.deep.equal(before);
    expect((await lethe("down", "--local", "--outputs", outputs)).code).to.equal(0);
  });

  it("refuses bad options with exit 2 and a message naming the option", async () => {
    for (const [args, message] of [
      [["--rows", "many"], /--rows must be a whole number/],
      [
        ["--erase", "nobody"],
        /demo: nobody not among the sample lake's customers \(cust-0000 to cust-0499\)/,
      ],
      [["--report-out", "report.pdf"], /--report-out report\.pdf: name a \.html, \.md or \.json file/],
    ] as const) {
      const r = await lethe("demo", ...args);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(message);
    }
  });
});
