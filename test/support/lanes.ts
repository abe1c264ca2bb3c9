// The whole suite in parallel lanes (scripts/test.sh, `npm test` without arguments): the test files
// are split into units, each run by its own mocha process with its own emulator (test/support/hooks.ts),
// LETHE_TEST_JOBS (default 2) units at a time, longest first. A unit is a folder of files, and a folder
// longer than LETHE_TEST_UNIT_SECONDS (default 240) is split into units of about equal length, so that
// no single folder decides when the run ends. Lengths are each file's seconds in the last run
// (.lethe/test-file-times.json, written by test/support/summaryReporter.js), else in the baseline kept
// with the tests (test/support/testFileSeconds.json: a fresh clone has no last run). Two units never
// share an emulator, so the local 'dev' stack of one is not the other's; the files that use this
// machine's PostgreSQL (one database, fixed table names) form one unit and run one after another. Each
// unit's output is printed whole when it ends, then one closing line for the run: "N passed, N failed,
// N skipped"; the exit status is non-zero if any unit failed.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");
const timesFile = path.join(root, ".lethe", "test-file-times.json");
const baselineFile = path.join(__dirname, "testFileSeconds.json");
const jobs = Math.max(1, Number(process.env.LETHE_TEST_JOBS ?? 2));
// A unit still running after this long is stopped and counted failed, with what it printed so far: a
// hung test must fail the run with its name, not hold CI until its 90-minute limit.
const unitMinutes = Math.max(1, Number(process.env.LETHE_TEST_UNIT_MINUTES ?? 25));
const unitSeconds = Math.max(1, Number(process.env.LETHE_TEST_UNIT_SECONDS ?? 240));
/** The length assumed for a file no run has timed yet. */
const untimedFileSeconds = 30;

interface Unit {
  name: string;
  files: string[];
  /** The sum of its files' seconds as last timed. */
  seconds: number;
}

/** Seconds per test file (repo-relative path). */
export type FileSeconds = Record<string, number>;

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === "fixtures" ? [] : testFiles(rel);
      return e.name.endsWith(".test.ts") ? [rel] : [];
    });
}

const postgres = /postgres|from "pg"/i;

/** Whether a test file uses PostgreSQL, itself or through a test helper it imports. */
function usesPostgres(file: string): boolean {
  const source = fs.readFileSync(path.join(root, file), "utf8");
  if (postgres.test(source)) return true;
  for (const [, spec] of source.matchAll(/from "(\.[^"]+)"/g)) {
    const helper = path.resolve(root, path.dirname(file), `${spec}.ts`);
    if (helper.startsWith(path.join(root, "test")) && fs.existsSync(helper)) {
      if (postgres.test(fs.readFileSync(helper, "utf8"))) return true;
    }
  }
  return false;
}

/**
 * One unit per folder (two levels below test/ at most), and one for every PostgreSQL user; a folder
 * whose files add up to more than `limit` seconds is dealt into as many units as it takes, each file to
 * the shortest so far, longest files first (the PostgreSQL unit is never split: its files share tables).
 */
export function units(files = testFiles("test"), seconds: FileSeconds = {}, limit = unitSeconds): Unit[] {
  const byName = new Map<string, string[]>();
  for (const file of files) {
    const parts = file.split(path.sep);
    const name = usesPostgres(file) ? "postgresql" : parts.slice(0, Math.min(parts.length - 1, 3)).join("/");
    byName.set(name, [...(byName.get(name) ?? []), file]);
  }
  const timeOf = (file: string) => seconds[file] ?? untimedFileSeconds;
  return [...byName].flatMap(([name, folderFiles]) => {
    const total = folderFiles.reduce((sum, f) => sum + timeOf(f), 0);
    const count = name === "postgresql" ? 1 : Math.min(folderFiles.length, Math.ceil(total / limit));
    if (count <= 1) return [{ name, files: folderFiles, seconds: total }];
    const split = Array.from({ length: count }, (_, i) => ({
      name: `${name} (${i + 1}/${count})`,
      files: [] as string[],
      seconds: 0,
    }));
    for (const file of [...folderFiles].sort((a, b) => timeOf(b) - timeOf(a))) {
      const shortest = split.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      shortest.files.push(file);
      shortest.seconds += timeOf(file);
    }
    // Each unit runs its files in the folder's order, as mocha would have.
    for (const unit of split) unit.files.sort((a, b) => folderFiles.indexOf(a) - folderFiles.indexOf(b));
    return split;
  });
}

function readJson(file: string): FileSeconds {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return {};
  }
}

/** The last run's seconds per file, over the baseline for files it did not time. */
function readTimes(): FileSeconds {
  return { ...readJson(baselineFile), ...readJson(timesFile) };
}

interface Outcome {
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  ok: boolean;
}

function runUnit(unit: Unit, fileTimes: string): Promise<Outcome> {
  const started = Date.now();
  const env = { ...process.env, LETHE_TEST_FILE_TIMES: fileTimes };
  // Each unit starts its own emulator (hooks.ts), unless the caller named a target for all of them.
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [require.resolve("mocha/bin/mocha.js"), ...unit.files], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that a stopped unit takes its emulator and commands with it.
      detached: true,
    });
    process.stderr.write(`lethe: ${unit.name} (${unit.files.length} files) started\n`);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, unitMinutes * 60_000);
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    // A unit that could not start (its node binary gone mid-run, say) fails; the run goes on.
    child.on("error", (err) => (output += `\nlethe: ${unit.name} could not run: ${err.message}\n`));
    child.on("close", (code) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      if (timedOut)
        output += `\nlethe: ${unit.name} stopped after ${unitMinutes} minutes (LETHE_TEST_UNIT_MINUTES)\n`;
      const closing = [...output.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped$/gm)].pop();
      const [passed, failed, skipped] = closing ? closing.slice(1).map(Number) : [0, 0, 0];
      process.stdout.write(
        `\n===== ${unit.name} (${unit.files.length} files): ${seconds.toFixed(0)} s, exit ${code}\n${output}`,
      );
      // A unit that died before its closing line counts as one failure.
      const ok = code === 0 && closing !== undefined;
      resolve({ passed, failed: failed + (ok || failed > 0 ? 0 : 1), skipped, seconds, ok });
    });
  });
}

/** Warms what every unit would otherwise build at the same time: the compiled CLI and the packages. */
function warm(): Promise<void> {
  const script = `require("./local/program/packaging").packagedFunctions().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.on("close", () => resolve());
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const times = readTimes();
  const given = process.argv.slice(2);
  const queue = units(given.length > 0 ? given : undefined, times).sort((a, b) => b.seconds - a.seconds);
  // A shared target (AWS_ENDPOINT_URL: LocalStack, a real account) is one stack for all: one lane.
  const lanes = process.env.AWS_ENDPOINT_URL || process.env.LETHE_TEST_REAL_AWS === "1" ? 1 : jobs;
  process.stderr.write(
    `lethe: ${queue.length} units of test files, ${lanes} at a time (LETHE_TEST_JOBS); packaging the functions first\n`,
  );
  await warm();
  const outcomes = new Map<string, Outcome>();
  const timesDir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-test-times-"));
  let counter = 0;
  const lane = async () => {
    for (let unit = queue.shift(); unit; unit = queue.shift()) {
      const fileTimes = path.join(timesDir, `${counter++}.json`);
      outcomes.set(unit.name, await runUnit(unit, fileTimes));
      for (const [file, seconds] of Object.entries(readJson(fileTimes)))
        times[path.relative(root, file)] = Math.round(seconds * 10) / 10;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  fs.rmSync(timesDir, { recursive: true, force: true });
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const o of outcomes.values()) {
    total.passed += o.passed;
    total.failed += o.failed;
    total.skipped += o.skipped;
  }
  fs.mkdirSync(path.dirname(timesFile), { recursive: true });
  fs.writeFileSync(timesFile, JSON.stringify(times, null, 1));
  const summary = [...outcomes]
    .sort(([, a], [, b]) => b.seconds - a.seconds)
    .map(([name, o]) => `${name} ${o.seconds.toFixed(0)} s`)
    .join(", ");
  process.stdout.write(
    `\nlethe: ${((Date.now() - started) / 1000).toFixed(0)} s in ${lanes} lanes (${summary})\n`,
  );
  process.stdout.write(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
  return total.failed > 0 || [...outcomes.values()].some((o) => !o.ok) ? 1 : 0;
}

if (require.main === module) {
  // --package-only: only what every unit needs first (scripts/test.sh runs it beside the type-check).
  if (process.argv[2] === "--package-only") warm().then(() => process.exit(0));
  else main().then((code) => process.exit(code));
}
