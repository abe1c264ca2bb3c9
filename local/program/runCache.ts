// The program's run under mocks (./mockedRun.ts), cached on disk in .lethe/cache/runs/: running it
// serializes some thirty closures (tens of seconds), yet its output changes only when one of its
// inputs does. The key is a hash of every such input: the program's sources (infra/, runtime/, and
// the program's own folder when it lives elsewhere), the mocks and this cache's code, package.json
// and package-lock.json, Pulumi.yaml and Pulumi.<stack>.yaml, the resolved stack config, the program
// path, the stack name and the Node.js version. Nothing else reaches the run: the program reads no
// environment variable, clock or random source, and the mocks' names derive from the stack and the
// resource (./mockAws.ts).
//
//   const { run, hit, key } = await cachedProgramRun(prepareProgram(undefined, "dev"));
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PreparedProgram, ProgramRun, runUnderMocks } from "./mockedRun";
import { projectRoot as findProjectRoot } from "../../runtime/contracts/projectConfig";

const projectRoot = findProjectRoot();
/** Bumped when what a cache entry holds changes shape. */
const cacheFormat = "1";
/** Entries kept: the newest few (a branch switch and back stays a hit), older ones removed. */
const entriesKept = 16;

export const cacheRoot = path.join(projectRoot, ".lethe", "cache");
const runsDir = path.join(cacheRoot, "runs");
/**
 * Where the packages built from a run are laid out (local/program/packaging.ts): outside the project, one
 * folder per project, because a package in the project would resolve whatever its zip lacks from the
 * project's node_modules, where Lambda finds nothing.
 */
export const packagesRoot = path.join(
  os.tmpdir(),
  `lethe-packages-${crypto.createHash("sha256").update(projectRoot).digest("hex").slice(0, 12)}`,
);

/** The project's files whose contents the run depends on, besides the program's own folder. */
const projectInputs = [
  "infra",
  "runtime",
  "package.json",
  "package-lock.json",
  "local/program/mockAws.ts",
  "local/program/mockedRun.ts",
  "local/program/runCache.ts",
];

const skipped = new Set(["node_modules", ".git", ".lethe", ".lethe-local", ".venv"]);

function filesUnder(target: string): string[] {
  if (!fs.existsSync(target)) return [];
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs
    .readdirSync(target, { withFileTypes: true })
    .filter((e) => !skipped.has(e.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => filesUnder(path.join(target, e.name)));
}

/** The files whose contents the run depends on, sorted. */
export function runInputFiles(prepared: PreparedProgram): string[] {
  const files = new Set(projectInputs.flatMap((p) => filesUnder(path.join(projectRoot, p))));
  // Pulumi.yaml and the stack file of the program's project, and its own sources when it is not this project.
  for (const name of ["Pulumi.yaml", `Pulumi.${prepared.stack}.yaml`]) {
    for (const f of filesUnder(path.join(prepared.dir, name))) files.add(f);
  }
  if (path.resolve(prepared.dir) !== projectRoot) for (const f of filesUnder(prepared.dir)) files.add(f);
  return [...files].sort();
}

/** The cache key of a run: a hash of everything that can change its output. */
export function runKey(prepared: PreparedProgram): string {
  const hash = crypto.createHash("sha256");
  const add = (label: string, value: string | Buffer) => {
    hash.update(`${label}\0${value.length}\0`);
    hash.update(value);
  };
  add("format", cacheFormat);
  add("node", process.versions.node);
  add("project root", projectRoot);
  add("program", prepared.entry);
  add("stack", prepared.stack);
  add("config", JSON.stringify(Object.entries(prepared.config).sort(([a], [b]) => a.localeCompare(b))));
  for (const file of runInputFiles(prepared)) add(path.relative(projectRoot, file), fs.readFileSync(file));
  return hash.digest("hex").slice(0, 24);
}

export interface CachedRun {
  run: ProgramRun;
  key: string;
  /** True when the run came from the cache (the program did not run in this process). */
  hit: boolean;
}

/** Writes `text` to `file` atomically (aside, then renamed): concurrent readers see all or nothing. */
function writeFileAtomic(file: string, text: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
}

function readEntry(file: string): ProgramRun | undefined {
  try {
    const run = JSON.parse(fs.readFileSync(file, "utf8")) as ProgramRun;
    // Marks the entry as recently used (pruning keeps the newest).
    const now = new Date();
    fs.utimesSync(file, now, now);
    return run;
  } catch {
    return undefined; // absent, or removed by a concurrent prune: run the program
  }
}

/** Removes all but the newest entries (runs, and the packages laid out from them). */
function prune(): void {
  const entries = fs
    .readdirSync(runsDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ key: f.slice(0, -".json".length), mtime: fs.statSync(path.join(runsDir, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { key } of entries.slice(entriesKept)) {
    fs.rmSync(path.join(runsDir, `${key}.json`), { force: true });
    fs.rmSync(path.join(packagesRoot, key), { recursive: true, force: true });
  }
}

const inProcess = new Map<string, Promise<CachedRun>>();
/** Keys whose run in this process came from the cache (a `fresh` request runs the program still). */
const hitsInProcess = new Set<string>();

/**
 * The program's run for `prepared`: from the cache when an entry has the same key, else run now and
 * stored. `fresh` runs the program even on a hit (for a caller that needs the run's side effects,
 * such as the compiled runtime files, current). At most one run per key and process.
 */
export function cachedProgramRun(
  prepared: PreparedProgram,
  opts: { fresh?: boolean } = {},
): Promise<CachedRun> {
  const key = runKey(prepared);
  const known = inProcess.get(key);
  if (known && !(opts.fresh && hitsInProcess.has(key))) return known;
  const file = path.join(runsDir, `${key}.json`);
  const stored = opts.fresh ? undefined : readEntry(file);
  const result: Promise<CachedRun> = stored
    ? Promise.resolve({ run: stored, key, hit: true })
    : runUnderMocks(prepared).then((run) => {
        hitsInProcess.delete(key);
        let text: string;
        try {
          text = JSON.stringify(run);
        } catch {
          return { run, key, hit: false }; // exports that are not data (a resource object): not cached
        }
        writeFileAtomic(file, text);
        prune();
        // What a later hit reads: the same values, whichever way this process got them.
        return { run: JSON.parse(text) as ProgramRun, key, hit: false };
      });
  if (stored) hitsInProcess.add(key);
  inProcess.set(key, result);
  result.catch(() => inProcess.delete(key));
  return result;
}
