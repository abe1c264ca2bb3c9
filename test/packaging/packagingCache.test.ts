// The packaging cache (local/program/packaging.ts, local/program/runCache.ts): a function's package is built
// once per change of what it depends on. Each packaging runs in a fresh process, as two commands
// would, over a small program of its own (one LetheFunction reading a file of its own folder and a
// setting of its stack), so the test changes that program's files, never the project's.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { prepareProgram } from "../../local/program/mockedRun";
import { cacheRoot, packagesRoot, runInputFiles, runKey } from "../../local/program/runCache";

const root = path.resolve(__dirname, "../..");

interface Packaging {
  hit: boolean;
  key: string;
  /** Whether the child loaded the program (it must not on a hit). */
  programLoaded: boolean;
  fn: Record<string, unknown>;
  /** Every file of the package with its content's hash. */
  files: Record<string, string>;
}

/** Packages `program` for `stack` in a fresh process and describes the result. */
function packageInChild(program: string, stack: string, env: Record<string, string> = {}): Packaging {
  const script = `
    const { packagedProgram } = require("./local/program/packaging");
    const crypto = require("node:crypto"), fs = require("node:fs"), path = require("node:path");
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
    packagedProgram({ program: ${JSON.stringify(program)}, stack: ${JSON.stringify(stack)} }).then(({ functions, cache }) => {
      const fn = functions[0];
      const files = Object.fromEntries(walk(fn.dir).map((f) => [path.relative(fn.dir, f),
        crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex")]));
      const programLoaded = Object.keys(require.cache).some((k) => k.startsWith(${JSON.stringify(program)}));
      process.stdout.write(JSON.stringify({ hit: cache.hit, key: cache.key, programLoaded, fn: { ...fn, dir: undefined }, files }));
    }).catch((err) => { console.error(err); process.exit(1); });`;
  const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout) as Packaging;
}

function writeProgram(dir: string, greeting: string, retentionDays: string): void {
  const infra = (p: string) => JSON.stringify(path.join(root, "infra", p));
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    "name: cache-probe\nruntime: nodejs\nmain: index.ts\nconfig:\n  cache-probe:retentionDays:\n    default: '7'\n",
  );
  fs.writeFileSync(
    path.join(dir, "Pulumi.dev.yaml"),
    `config:\n  cache-probe:retentionDays: '${retentionDays}'\n`,
  );
  fs.writeFileSync(path.join(dir, "Pulumi.other.yaml"), "config: {}\n");
  fs.writeFileSync(path.join(dir, "greeting.ts"), `export const greeting = ${JSON.stringify(greeting)};\n`);
  fs.writeFileSync(
    path.join(dir, "index.ts"),
    `import * as pulumi from "@pulumi/pulumi";
import { LetheFunction } from ${infra("components/letheFunction")};
import { letheTags } from ${infra("components/tags")};
import { greeting } from "./greeting";
const config = new pulumi.Config();
const probe = new LetheFunction("cache-probe", {
  shortName: "probe",
  description: "Replies with its greeting (packaging cache test)",
  callbackFactory: () => async () => ({ greeting, retention: process.env.RETENTION_DAYS }),
  statements: [],
  environment: { RETENTION_DAYS: config.require("retentionDays") },
  memorySizeMb: 128,
  timeoutSeconds: 3,
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/probe",
  logRetentionDays: Number(config.require("retentionDays")),
  tags: letheTags("dev"),
});
export const probeFunction = probe.functionName;
`,
  );
}

describe("packaging: the on-disk package cache", function () {
  // Each miss runs the program under mocks in a child process (seconds to tens of seconds).
  this.timeout(600_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-cache-probe-"));
  const keys = new Set<string>();
  const packaging = (stack = "dev", env: Record<string, string> = {}) => {
    const p = packageInChild(dir, stack, env);
    keys.add(p.key);
    return p;
  };
  const forget = (key: string) => {
    fs.rmSync(path.join(cacheRoot, "runs", `${key}.json`), { force: true });
    fs.rmSync(path.join(packagesRoot, key), { recursive: true, force: true });
  };
  after(() => {
    for (const key of keys) forget(key);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let first: Packaging;

  it("a second packaging in a fresh process is a hit and does not run the program", () => {
    writeProgram(dir, "hello", "7");
    forget(runKey(prepareProgram(dir, "dev")));
    first = packaging();
    expect(first.hit).to.equal(false);
    expect(first.programLoaded).to.equal(true);
    expect(first.fn.environment).to.include({ RETENTION_DAYS: "7" });
    const second = packaging();
    expect(second).to.include({ hit: true, key: first.key, programLoaded: false });
    expect(second.fn).to.deep.equal(first.fn);
  });

  it("a package built again from scratch is identical to the cached one, whatever the environment", () => {
    forget(first.key);
    const rebuilt = packaging("dev", { AWS_REGION: "us-east-2", AWS_ENDPOINT_URL: "http://127.0.0.1:1" });
    expect(rebuilt).to.include({ hit: false, key: first.key });
    expect(rebuilt.fn).to.deep.equal(first.fn);
    expect(rebuilt.files).to.deep.equal(first.files);
    expect(Object.keys(rebuilt.files)).to.include("__index.js");
  });

  it("a changed source file of the program makes it a miss, and the new package carries the change", () => {
    writeProgram(dir, "bonjour", "7");
    const changed = packaging();
    expect(changed.hit).to.equal(false);
    expect(changed.key).not.to.equal(first.key);
    expect(changed.files).not.to.deep.equal(first.files);
    // Back to the first contents: the first package again, from the cache.
    writeProgram(dir, "hello", "7");
    expect(packaging()).to.include({ hit: true, key: first.key });
  });

  it("a changed stack config makes it a miss, and the new package has the new setting", () => {
    writeProgram(dir, "hello", "30");
    const changed = packaging();
    expect(changed.hit).to.equal(false);
    expect(changed.fn.environment).to.include({ RETENTION_DAYS: "30" });
  });

  it("the key covers the stack name, the runtime files, the lock file and the program's files", () => {
    writeProgram(dir, "hello", "7");
    expect(runKey(prepareProgram(dir, "other"))).not.to.equal(runKey(prepareProgram(dir, "dev")));
    expect(runKey(prepareProgram(dir, "dev"))).to.equal(first.key);
    const inputs = runInputFiles(prepareProgram(dir, "dev"));
    for (const file of [
      "runtime/handlers/filterBuilder.ts",
      "infra/components/letheFunction.ts",
      "package-lock.json",
      "local/program/mockAws.ts",
    ]) {
      expect(inputs, file).to.include(path.join(root, file));
    }
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "greeting.ts", "index.ts"]) {
      expect(inputs, file).to.include(path.join(dir, file));
    }
    expect(inputs).not.to.include(path.join(dir, "Pulumi.other.yaml").replace("other", "prod"));
  });
});
