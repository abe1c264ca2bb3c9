// `lethe policy check` end to end: the real command, the pack started in its own process through
// @pulumi/pulumi/cmd/run-policy-pack, spoken to over the Analyzer gRPC protocol.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.join(__dirname, "..", "..");
const fixture = path.join(root, "test", "fixtures", "noncompliant-program");

function lethe(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, "bin", "lethe"), "policy", "check", ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tmpFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-policy-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

describe("lethe policy check (end to end)", () => {
  it("passes the Lethe program (exit 0) and lists every rule it ran", () => {
    const r = lethe();
    expect(r.code, r.err + r.out).to.equal(0);
    expect(r.out).to.contain("✅ lethe-gdpr@v0.1.0");
    expect(r.out).to.contain("Rules run (26 of 26):");
    for (const rule of [
      "dynamodb-ttl-enabled",
      "s3-cmk-encryption",
      "lambda-dead-letter-path",
      "gdpr-tag-required",
    ]) {
      expect(r.out).to.match(new RegExp(`mandatory\\s+${rule}\\n`));
    }
    expect(r.out).to.match(
      /Summary: 0 mandatory and 0 advisory violation\(s\) on 0 of \d+ resources \(program infra\/index\.ts, stack dev\)/,
    );
  });

  it("fails the fixture program (exit 1), naming the table, the bucket, the Lambda and the CallbackFunction", () => {
    const r = lethe("--program", fixture);
    expect(r.code, r.err + r.out).to.equal(1);
    const violations = [...r.out.matchAll(/- \[mandatory\]\s+(\S+)/g)].map((m) => m[1]);
    expect(violations).to.deep.equal([
      "dynamodb-ttl-enabled",
      "s3-cmk-encryption",
      "lambda-dead-letter-path",
      "lambda-no-broad-managed-policies",
    ]);
    for (const resource of [
      "aws:dynamodb/table:Table: fixture-table-without-ttl",
      "aws:s3/bucket:Bucket: fixture-bucket-without-sse",
      "aws:lambda/function:Function: fixture-worker-without-dlq",
      "aws:lambda/function:Function: fixture-callback-default-role",
    ]) {
      expect(r.out).to.contain(resource);
    }
    expect(r.out).to.contain('DynamoDB table "fixture-table-without-ttl" has no TTL');
    expect(r.out).to.contain("AmazonS3FullAccess");
    expect(r.out).to.contain("Summary: 4 mandatory and 0 advisory violation(s) on 4 of");
  });

  it("runs a program outside this project with this project's packages, under a --config that downgrades rules", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-program-"));
    for (const f of fs.readdirSync(fixture)) fs.copyFileSync(path.join(fixture, f), path.join(dir, f));
    const config = tmpFile(
      "config.json",
      JSON.stringify({ all: "advisory", "lambda-dead-letter-path": "disabled" }),
    );
    const r = lethe("--program", dir, "--config", config);
    expect(r.code, r.err + r.out).to.equal(0);
    expect([...r.out.matchAll(/- \[advisory\]\s+(\S+)/g)].map((m) => m[1])).to.deep.equal([
      "dynamodb-ttl-enabled",
      "s3-cmk-encryption",
      "lambda-no-broad-managed-policies",
    ]);
    expect(r.out).to.contain("Rules run (25 of 26):");
    expect(r.out).to.match(/disabled\s+lambda-dead-letter-path/);
  });

  it("exits 2 with the reason when the program does not exist, fails, or the config is wrong", () => {
    const missing = lethe("--program", path.join(root, "no-such-program"));
    expect(missing.code).to.equal(2);
    expect(missing.err).to.contain(`could not run: program not found: ${path.join(root, "no-such-program")}`);

    const broken = tmpFile("index.ts", 'throw new Error("boom in the program");\n');
    const failed = lethe("--program", broken);
    expect(failed.code).to.equal(2);
    expect(failed.err).to.contain("could not run: the program failed: boom in the program");

    const badConfig = tmpFile(
      "config.json",
      JSON.stringify({ "s3-noncurrent-version-expiry": { erasureDeadlineDays: "soon" } }),
    );
    const wrong = lethe("--config", badConfig);
    expect(wrong.code).to.equal(2);
    expect(wrong.err).to.contain(
      'policy pack config: s3-noncurrent-version-expiry.erasureDeadlineDays: expected integer, got "soon"',
    );

    expect(lethe("--colour").code).to.equal(2);
  });

  it("refuses a stack without its file and a misspelt setting, naming them (exit 2)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-stack-"));
    fs.copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.mkdirSync(path.join(dir, "infra")); // Pulumi.yaml's main
    fs.writeFileSync(path.join(dir, "infra", "index.ts"), "export {};\n");
    fs.writeFileSync(path.join(dir, "Pulumi.typo.yaml"), "config:\n  lethe:erasureDeadlineDay: 20\n");

    const noFile = lethe("--program", dir, "--stack", "prod");
    expect(noFile.code).to.equal(2);
    expect(noFile.err).to.contain(`stack prod: no stack file ${path.join(dir, "Pulumi.prod.yaml")}`);

    const typo = lethe("--program", dir, "--stack", "typo");
    expect(typo.code).to.equal(2);
    expect(typo.err).to.contain(
      "lethe:erasureDeadlineDay is not a setting of project lethe (did you mean lethe:erasureDeadlineDays?)",
    );

    fs.writeFileSync(path.join(dir, "Pulumi.typo.yaml"), "config:\n  lethe:erasureDeadlineDays: 20\n");
    expect(lethe("--program", dir, "--stack", "typo").code, "a correct stack file passes").to.equal(0);
  });

  it("checks the pack config file before it runs the program", () => {
    // The program would fail; the config error is what is reported, so the file was read first.
    const broken = tmpFile("index.ts", 'throw new Error("boom in the program");\n');
    const r = lethe("--program", broken, "--config", tmpFile("config.json", "{not json"));
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/policy pack config .*config\.json is not valid JSON/);
    expect(r.err).not.to.contain("boom in the program");
  });

  it("exits 2 with the pack's own error when the policy pack does not start", () => {
    const pack = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-pack-"));
    fs.symlinkSync(path.join(root, "node_modules"), path.join(pack, "node_modules"));
    fs.writeFileSync(path.join(pack, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    fs.writeFileSync(path.join(pack, "package.json"), JSON.stringify({ name: "broken", version: "1.0.0" }));
    fs.writeFileSync(path.join(pack, "index.ts"), 'const n: number = "not a number";\n');
    const r = lethe("--policy-pack", pack);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/could not run: policy pack exited with code \d+ before serving:/);
    expect(r.err).to.contain("Type 'string' is not assignable to type 'number'");

    const missing = lethe("--policy-pack", path.join(pack, "nowhere"));
    expect(missing.code).to.equal(2);
    expect(missing.err).to.contain("no policy pack at");
  });
});
