// `lethe up --local` / `lethe down --local` as a user runs them: the real entry point in a child
// process, against the harness's emulator (AWS_ENDPOINT_URL) and against the embedded one it starts.
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { programDeclarations } from "../../local/stack";
import { inTerminal } from "./terminal";

const bin = path.resolve(__dirname, "../../bin/lethe");

function lethe(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd: options.cwd,
    env: options.env ?? process.env,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("cli: lethe up --local / down --local", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-up-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("provisions the harness's emulator, writes .lethe/local.json with the stack's output keys, and converges", async function () {
    // Three runs of the program under mocks, on a machine it shares.
    this.timeout(720_000);
    const first = lethe(["up", "--local"], { cwd: dir });
    expect(first.code, first.err).to.equal(0);
    // Not a terminal: progress as plain lines (resources done of total), no escape codes.
    expect(first.err).to.match(/^lethe up --local: \d+\/\d+ \S+/m);
    expect(first.err).to.not.include("\x1b[");
    const file = path.join(dir, ".lethe", "local.json");
    const outputs = JSON.parse(fs.readFileSync(file, "utf8"));
    const { exports } = await programDeclarations();
    expect(Object.keys(outputs).sort()).to.deep.equal(
      [
        ...Object.keys(exports),
        "endpoint",
        "local",
        "stack",
        "localResources",
        "stateMachineDefinition",
        "eventSources",
        "schedules",
        "bucketNotifications",
      ].sort(),
    );
    expect(outputs).to.include({ endpoint: process.env.AWS_ENDPOINT_URL, local: true, stack: "dev" });
    // stdout: a short summary (stack, endpoint, counts, the outputs file), not the outputs themselves.
    const summary = first.out.trimEnd().split("\n");
    expect(summary.length, first.out).to.be.at.most(4);
    expect(first.out).to.match(
      new RegExp(`^lethe up --local: stack dev in ${process.env.AWS_ENDPOINT_URL}: \\d+ resources in`),
    );
    expect(first.out).to.match(/skipped, not emulated: .*iam role/);
    expect(first.out).to.include(`outputs .lethe/local.json (${Object.keys(outputs).length} keys`);
    // --json: the whole outputs on stdout, the summary on stderr.
    const json = lethe(["up", "--local", "--json"], { cwd: dir });
    expect(json.code, json.err).to.equal(0);
    expect(JSON.parse(json.out)).to.deep.equal(outputs);
    expect(json.err).to.include("outputs .lethe/local.json");
    // What the warm stack drives: every schedule and the indexer's notifications, as declared.
    expect(outputs.schedules.map((s: { functionName: string }) => s.functionName).sort()).to.deep.equal([
      "lethe-dev-batch",
      "lethe-dev-deadline",
      "lethe-dev-filter-builder",
    ]);
    expect(outputs.bucketNotifications).to.deep.include({
      bucket: outputs.lakeBucket,
      prefix: "events/",
      events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
      functionName: "lethe-dev-indexer",
    });
    const table = await makeDynamoDbClient().send(
      new DescribeTableCommand({ TableName: outputs.locksTable }),
    );
    expect(table.Table?.TableStatus).to.equal("ACTIVE");

    // Again in a terminal: a progress bar of the resources (on stderr, which is the terminal too).
    const second = inTerminal(["up", "--local", "--outputs", path.join(dir, "again.json")]);
    expect(second.code, second.out).to.equal(0);
    const resources = Number(/(\d+)\/\1 100%/.exec(second.out)?.[1]);
    expect(resources).to.be.greaterThan(10);
    expect(second.out).to.include("lethe up --local [").and.include("\u2588");
    expect(second.out).to.include("\x1b[1G"); // the bar is redrawn in place
    expect(second.out).to.match(/lethe up --local: stack dev in .*: \d+ resources in/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "again.json"), "utf8"))).to.deep.equal(outputs);
  });

  it("refuses to deploy without --local, an unknown option, and a missing outputs file, with exit 2", () => {
    const up = lethe(["up"]);
    expect(up.code).to.equal(2);
    expect(up.err).to.include("pulumi up");
    const bad = lethe(["up", "--local", "--output", "x.json"]);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.include("--output");
    const down = lethe(["down", "--local", "--outputs", path.join(dir, "none.json")]);
    expect(down.code).to.equal(2);
    expect(down.err).to.include(path.join(dir, "none.json"));
  });

  it("names an AWS_ENDPOINT_URL where nothing listens in one line, exit 2", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    const endpoint = `http://127.0.0.1:${port}`;
    const r = lethe(["up", "--local", "--outputs", path.join(dir, "never.json")], {
      env: { ...process.env, AWS_ENDPOINT_URL: endpoint },
    });
    expect(r.code).to.equal(2);
    expect(r.err.split("\n").filter((l) => l.startsWith("lethe: "))).to.have.length(1);
    expect(r.err).to.include(endpoint);
    expect(fs.existsSync(path.join(dir, "never.json"))).to.equal(false);
  });

  it("without AWS_ENDPOINT_URL starts an emulator and the warm stack, keeps them until Ctrl-C, and down removes the stack from it", async function () {
    // The warm stack packages the program's functions before it serves.
    this.timeout(600_000);
    const file = path.join(dir, "embedded.json");
    const env = { ...process.env };
    delete env.AWS_ENDPOINT_URL;
    const child = spawn(process.execPath, [bin, "up", "--local", "--outputs", file], { env });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (err.includes("Ctrl-C")) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
        exited.then(() => {
          clearInterval(timer);
          reject(new Error(`lethe up --local exited: ${err}`));
        });
      });
      const outputs = JSON.parse(fs.readFileSync(file, "utf8"));
      expect(outputs.endpoint).to.not.equal(process.env.AWS_ENDPOINT_URL);
      expect(err).to.include(`emulator running at ${outputs.endpoint}`);
      expect(err).to.include(`warm stack serving Lambda at ${outputs.warm.lambdaEndpoint}`);
      const info = await (await fetch(`${outputs.warm.stepFunctionsEndpoint}/lethe/warm`)).json();
      expect(info).to.include({ stack: "dev", endpoint: outputs.endpoint, pid: child.pid });
      const ddb = makeDynamoDbClient({ endpoint: outputs.endpoint });
      expect(
        (await ddb.send(new DescribeTableCommand({ TableName: outputs.auditTable }))).Table?.TableStatus,
      ).to.equal("ACTIVE");

      const down = lethe(["down", "--local", "--outputs", file], { env });
      expect(down.code, down.err).to.equal(0);
      expect(down.err).to.match(/removed \d+ resources/);
      expect(fs.existsSync(file)).to.equal(false);
      const gone = await ddb
        .send(new DescribeTableCommand({ TableName: outputs.auditTable }))
        .catch((e) => e);
      expect(gone.name).to.equal("ResourceNotFoundException");
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).to.equal(0);
    expect(err).to.include("emulator stopped");
  });
});
