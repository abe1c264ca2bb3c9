// `lethe functions` and `lethe invoke`, run as a user runs them (bin/lethe in a child process). The
// checks that need the program run are in test/packaging/invoke.test.ts (in process, one program run).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { writeLocalGuardStack } from "../packaging/localGuardStack";

const root = path.resolve(__dirname, "../..");
const bin = path.join(root, "bin", "lethe");

function lethe(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd: root,
    // The functions' own log settings, not what an earlier test in this process may have left set.
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("POWERTOOLS_"))),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("cli: lethe functions / lethe invoke", function () {
  // `lethe functions` packages and zips every function of the program (about 30) in a child process.
  this.timeout(900_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-invoke-"));
  const write = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
    return file;
  };
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("lists every function with handler, memory, timeout, zip size, packages and what the table of functions says", () => {
    const r = lethe("functions", "--json");
    expect(r.code, r.stderr).to.equal(0);
    const fns = JSON.parse(r.stdout) as Record<string, unknown>[];
    const builder = fns.find((f) => f.shortName === "filter-builder")!;
    expect(builder).to.include({ functionName: "lethe-dev-filter-builder", handler: "__index.handler" });
    expect(builder.entries).to.deep.equal(["runtime/handlers/filterBuilder.ts"]);
    expect(builder.memorySizeMb).to.equal(1024);
    expect(builder.timeoutSeconds).to.equal(300);
    expect(builder.zipBytes).to.be.greaterThan(1_000_000);
    expect(builder.packages).to.include("@aws-sdk/client-s3").and.not.include("parquet-wasm");
    expect(fns.map((f) => f.shortName)).to.include("ingest-guard");
    // What the table of functions (runtime/contracts/functions.ts) says of each.
    expect(builder).to.deep.include({
      serviceName: "lethe-filter-builder",
      output: "filterBuilderFunction",
      sampleEvent: "events/filter-builder.json",
      eventSources: ["schedule", "request function"],
    });
    expect(fns.find((f) => f.shortName === "purge-errors")!.output).to.equal("errorsFunction");
  });

  it("invokes filter-builder with events/filter-builder.json in process against a local stack", async () => {
    const { file: outputs } = await writeLocalGuardStack(path.join(dir, "local.json"));
    const r = lethe(
      "invoke",
      "filter-builder",
      "--event",
      "events/filter-builder.json",
      "--stack-outputs",
      outputs,
    );
    expect(r.code, r.stderr).to.equal(0);
    const reply = JSON.parse(r.stdout);
    expect(reply).to.include({ status: "published", generation: 1, itemCount: 1 });
    // The function's logs went to stderr, and without the raw ID.
    expect(r.stderr).to.contain("published generation 1");
    expect(r.stderr).to.not.contain("cust-0042");
  });

  for (const [what, args, message] of [
    [
      "an event file that is not JSON",
      () => [
        "invoke",
        "filter-builder",
        "--event",
        write("bad.json", "{not json"),
        "--stack-outputs",
        write("b.json", {}),
      ],
      /event file '.*bad\.json' is not JSON/,
    ],
    [
      "outputs of another stack (stack key)",
      () => [
        "invoke",
        "filter-builder",
        "--event",
        "events/filter-builder.json",
        "--stack-outputs",
        write("c.json", { local: true, stack: "prod" }),
      ],
      /holds the outputs of stack 'prod', not 'dev'/,
    ],
  ] as const) {
    it(`rejects ${what} with one line and exit 2`, () => {
      const r = lethe(...args());
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal("");
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("lethe: "));
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(message);
    });
  }
});
