// `npm run bench:local`: how long the local commands take against a warm local stack (`lethe up
// --local`), each the median of 5 runs (--runs N), printed against its target (issue 20):
//   lethe status ≤ 1 s · lethe requests ≤ 1 s · lethe erase --wait --drain-seconds 0 of one ID over an
//   empty lake ≤ 10 s and over the demo lake ≤ 20 s · lethe api --local answering ≤ 3 s after it
//   starts · npm run demo ≤ 30 s.
// Every figure is a `lethe` command run as a user runs it (node bin/lethe, a process of its own).
// By default the bench starts `lethe up --local` with an emulator of its own and stops it at the end;
// `--stack-outputs <file>` times against a warm stack already up. `--smoke`: one run each, no demo (CI,
// test/local/warmStack.test.ts), so the script cannot break unseen; --skip-demo leaves the demo out.
// Figures, not assertions.
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeS3Client } from "../runtime/aws/clients";
import type { LocalStack } from "../runtime/contracts/stack";
import { localCredentialsEnvironment } from "../local/stack/endpoint";
import { writeSampleLake } from "../local/fixtures/sampleLake";

const root = path.resolve(__dirname, "..");
const bin = path.join(root, "bin", "lethe");

interface Args {
  runs: number;
  smoke: boolean;
  stackOutputs?: string;
  json: boolean;
  skipDemo?: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5, smoke: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--smoke") Object.assign(args, { smoke: true, runs: 1 });
    else if (a === "--json") args.json = true;
    else if (a === "--skip-demo") args.skipDemo = true;
    else if (a === "--runs") args.runs = Number(argv[++i]);
    else if (a === "--stack-outputs") args.stackOutputs = argv[++i];
    else
      throw new Error(
        `bench:local: unknown argument ${a} (--smoke, --runs N, --stack-outputs <file>, --skip-demo, --json)`,
      );
  }
  if (!Number.isInteger(args.runs) || args.runs < 1)
    throw new Error("bench:local: --runs must be a whole number ≥ 1");
  return args;
}

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
});

/** Runs `lethe ...` to its end; seconds taken and its output. A failed command fails the bench. */
function lethe(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { seconds: number; stdout: string } {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...env(), ...extraEnv },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0)
    throw new Error(
      `lethe ${args.join(" ")} exited ${r.status}: ${r.stderr.split("\n").slice(-5).join("\n")}`,
    );
  return { seconds, stdout: r.stdout };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `lethe up --local` with an emulator of its own, until its outputs name an answering warm stack. */
async function startUp(dir: string): Promise<{ file: string; child: ChildProcess }> {
  const file = path.join(dir, "local.json");
  const childEnv = env();
  delete childEnv.AWS_ENDPOINT_URL;
  const child = spawn(process.execPath, [bin, "up", "--local", "--outputs", file, "--schedules", "off"], {
    cwd: root,
    env: childEnv,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const started = Date.now();
  process.stderr.write(
    "bench:local: waiting for `lethe up --local` (its emulator, the stack, the warm stack) ...\n",
  );
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`lethe up --local exited ${child.exitCode}: ${err.slice(-2000)}`);
    if (/Ctrl-C/.test(err)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write(
    `bench:local: the warm stack is up after ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return { file, child };
}

/** `lethe api --local` from its start to its first answer of GET /openapi.json. */
async function apiAnswering(outputs: string): Promise<number> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, "api", "--local", "--port", "0", "--stack-outputs", outputs], {
    cwd: root,
    env: env(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`lethe api --local exited ${child.exitCode}: ${err}`);
      const url = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) {
        const r = await fetch(`${url}/openapi.json`).catch(() => undefined);
        if (r?.status === 200) return (Date.now() - started) / 1000;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill("SIGINT");
  }
}

interface Figure {
  what: string;
  runs: number[];
  median: number;
  target: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  Object.assign(process.env, localCredentialsEnvironment());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-bench-local-"));
  let up: { file: string; child: ChildProcess } | undefined;
  const figures: Figure[] = [];
  try {
    if (!args.stackOutputs) up = await startUp(dir);
    const outputs = args.stackOutputs ?? up!.file;
    const stack = JSON.parse(fs.readFileSync(outputs, "utf8")) as LocalStack;
    if (!stack.warm) throw new Error(`${outputs} names no warm stack: start it with lethe up --local`);
    const on = ["--stack-outputs", outputs];
    const times = (what: string, target: number, run: (i: number) => Promise<number> | number) =>
      (async () => {
        const runs: number[] = [];
        for (let i = 0; i < args.runs; i++) runs.push(await run(i));
        figures.push({ what, runs, median: median(runs), target });
        process.stderr.write(`bench:local: ${what}: ${runs.map((s) => s.toFixed(2)).join(", ")} s\n`);
      })();

    const run = randomUUID().slice(0, 8);
    // Warm-up: one erase through every step, so each function the figures reach is loaded.
    lethe(["erase", `bench-${run}-warmup`, "--wait", "--drain-seconds", "0", ...on]);
    const filed = JSON.parse(lethe(["erase", `bench-${run}-status`, "--json", ...on]).stdout);
    const requestId = String(filed.request.requestId);

    await times("lethe status", 1, () => lethe(["status", requestId, ...on]).seconds);
    await times("lethe requests", 1, () => lethe(["requests", ...on]).seconds);
    await times(
      "lethe erase --wait --drain-seconds 0, one ID, empty lake",
      10,
      (i) => lethe(["erase", `bench-${run}-absent-${i}`, "--wait", "--drain-seconds", "0", ...on]).seconds,
    );

    // The demo's lake (its sizes: 500 customers, 2 days of 3 objects of 20 000 rows; --smoke: smaller).
    const customers = Array.from({ length: args.smoke ? 50 : 500 }, (_, i) => `bench-${run}-${i}`);
    const today = new Date();
    const days = [2, 1].map((n) => new Date(today.getTime() - n * 86_400_000).toISOString().slice(0, 10));
    process.stderr.write("bench:local: writing the demo lake ...\n");
    await writeSampleLake(makeS3Client({ endpoint: stack.endpoint }), stack.lakeBucket, {
      days,
      objectsPerDay: args.smoke ? 1 : 3,
      rowsPerObject: args.smoke ? 2000 : 20_000,
      rowGroupRows: args.smoke ? 500 : 5000,
      customers,
      runId: run,
    });
    await times(
      "lethe erase --wait --drain-seconds 0, one ID, demo lake",
      20,
      (i) => lethe(["erase", customers[i * 7 + 1], "--wait", "--drain-seconds", "0", ...on]).seconds,
    );
    await times("lethe api --local answering", 3, () => apiAnswering(outputs));
    if (!args.smoke && !args.skipDemo) {
      const demoEnv = { AWS_ENDPOINT_URL: "" };
      await times("npm run demo (lethe demo)", 30, () => lethe(["demo"], demoEnv).seconds);
    }
  } finally {
    if (up) {
      up.child.kill("SIGINT");
      await new Promise((r) => up!.child.once("exit", r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows = figures.map((f) => {
    const ok = f.median <= f.target ? "ok  " : "OVER";
    return `${ok} ${f.what.padEnd(58)} median ${f.median.toFixed(2).padStart(7)} s  target ≤ ${f.target} s  (${f.runs.length} run(s))`;
  });
  process.stdout.write(
    args.json
      ? JSON.stringify(
          { runs: args.runs, smoke: args.smoke, cpus: os.cpus().length, loadavg: os.loadavg(), figures },
          null,
          2,
        ) + "\n"
      : `bench:local (${os.cpus().length} cores, load ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}):\n${rows.join("\n")}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`bench:local: ${(err as Error).message}\n`);
  process.exit(1);
});
