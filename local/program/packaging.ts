// The program's Lambda functions exactly as `pulumi up` would upload them. The program runs under
// Pulumi's mocks (local/program/mockedRun.ts); every magic Lambda registers its code as an asset
// archive (the serialized closure plus the compiled runtime files and package folders it needs),
// which this module lays out, zips to measure, and loads in this process with the environment the
// program gives the function. The laid-out packages are cached (<tmp>/lethe-packages-<project>/<key>/,
// out of the project so that a package resolves nothing from its node_modules), keyed by everything
// that can change them (local/program/runCache.ts): a hit runs nothing.
//
//   const fns = await packagedFunctions();                 // every function, laid out
//   const fn = await packagedFunction("filter-builder");   // one, by short name
//   const handler = loadPackagedHandler(fn, { AWS_ENDPOINT_URL: "..." });
//   const reply = await handler({});
//   const { bytes } = await zipFunction(fn);
import { letheFunctions } from "../../runtime/contracts/functions";
import * as fs from "node:fs";
import * as path from "node:path";
import { ZipFile } from "yazl";
import { UsageError } from "../../runtime/contracts/errors";
import { projectRoot as findProjectRoot } from "../../runtime/contracts/projectConfig";
import { CollectedResource, PreparedProgram, prepareProgram } from "./mockedRun";
import { cachedProgramRun, packagesRoot, runKey } from "./runCache";

const projectRoot = findProjectRoot();
const functionType = "aws:lambda/function:Function";
const letheFunctionType = "lethe:compute:LetheFunction";
const runtimeInZip = "node_modules/@lethe/runtime/";

export interface PackagedFunction {
  /** e.g. `filter-builder`: the function is `lethe-<stack>-<shortName>`. */
  shortName: string;
  functionName: string;
  /** The stack output holding the deployed function's name, e.g. `filterBuilderFunction`. */
  outputKey: string;
  description: string;
  /** Lambda's handler setting (`__index.handler`: the serialized closure's export). */
  handler: string;
  /** The runtime modules the closure requires, e.g. `runtime/handlers/filterBuilder.ts`. */
  entries: string[];
  memorySizeMb: number;
  timeoutSeconds: number;
  /** The environment variables the program sets (identifiers as the mocks computed them). */
  environment: Record<string, string>;
  /** The unpacked archive (`__index.js`, `node_modules/...`), cached: read it, never write it. */
  readonly dir: string;
  /** Every npm package in the zip (nested ones included), sorted. */
  packages: string[];
  /** The packages the runtime files in the zip require directly. */
  directPackages: string[];
  files: number;
  unzippedBytes: number;
}

export interface PackagingOptions {
  /** Program entry or project directory (default: this project). */
  program?: string;
  /** Stack whose Pulumi.<stack>.yaml settings apply (default `dev`). */
  stack?: string;
}

/**
 * A function's stack output: the table of functions' (runtime/contracts/functions.ts; `purge-errors`
 * -> `errorsFunction`), else, for a function it does not hold (another program's), the camelCase
 * spelling `filter-builder` -> `filterBuilderFunction`.
 */
export function outputKeyOf(shortName: string): string {
  const declared = Object.values(letheFunctions).find((f) => f.shortName === shortName);
  return (
    declared?.output ?? `${shortName.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())}Function`
  );
}

interface WireAsset {
  text?: string;
  path?: string;
  assets?: Record<string, WireAsset>;
}

function plain(value: unknown): unknown {
  // Secrets arrive wrapped ({ <sig>: <secret sig>, value }); the packaging needs the value.
  if (value && typeof value === "object" && "value" in value && "4dabf18193072939515e22adb298388d" in value) {
    return (value as { value: unknown }).value;
  }
  return value;
}

/** Puts `source` at `dest`: a hard link (the cache costs no copy), a copy where links are not possible. */
function linkFile(source: string, dest: string): void {
  try {
    fs.linkSync(source, dest);
  } catch {
    fs.copyFileSync(source, dest);
  }
}

/** Lays out a file or folder of the project at `dest`, symlinks followed (as Pulumi zips them). */
function linkTree(source: string, dest: string): void {
  const real = fs.realpathSync(source);
  if (!fs.statSync(real).isDirectory()) return linkFile(real, dest);
  fs.mkdirSync(dest, { recursive: true });
  for (const name of fs.readdirSync(real)) linkTree(path.join(real, name), path.join(dest, name));
}

function layOutAsset(key: string, asset: WireAsset, dir: string): void {
  const dest = path.join(dir, key);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (asset.text !== undefined) {
    fs.writeFileSync(dest, asset.text);
  } else if (asset.path !== undefined) {
    linkTree(path.resolve(projectRoot, asset.path), dest);
  } else if (asset.assets) {
    for (const [k, a] of Object.entries(asset.assets)) layOutAsset(k, a, dest);
  } else {
    throw new Error(`archive entry ${key}: neither text, a path nor assets`);
  }
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full) : [full];
  });
}

/** Package names of the folders `node_modules/...` in the archive (nested node_modules included). */
function packagesOf(keys: string[]): string[] {
  const names = new Set<string>();
  for (const key of keys) {
    if (key.startsWith(runtimeInZip)) continue;
    const parts = key.split("/");
    const last = parts.lastIndexOf("node_modules");
    if (last < 0) continue;
    const rest = parts.slice(last + 1);
    names.add(rest[0].startsWith("@") ? rest.slice(0, 2).join("/") : rest[0]);
  }
  return [...names].sort();
}

/** Every file of the laid-out archive as [path in the zip, file on disk]. */
function archiveFiles(dir: string): { key: string; bytes: number; file: string }[] {
  return walk(dir).map((file) => ({
    key: path.relative(dir, file).split(path.sep).join("/"),
    bytes: fs.statSync(file).size,
    file,
  }));
}

function directPackagesOf(files: { key: string; file: string }[]): string[] {
  const names = new Set<string>();
  const dependencies = Object.keys(
    JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")).dependencies ?? {},
  );
  for (const { key, file } of files) {
    if (!key.startsWith(runtimeInZip) || !key.endsWith(".js")) continue;
    for (const [, spec] of fs.readFileSync(file, "utf8").matchAll(/\brequire\("([^"]+)"\)/g)) {
      const parts = spec.split("/");
      const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
      if (dependencies.includes(name)) names.add(name);
    }
  }
  return [...names].sort();
}

/** A function's settings and its archive laid out under `layout` (what the cache keeps of it). */
function layOutFunction(fn: CollectedResource, stack: string, layout: string): Omit<PackagedFunction, "dir"> {
  const inputs = fn.inputs as Record<string, unknown>;
  const functionName = String(plain(inputs.name));
  const prefix = `lethe-${stack}-`;
  const shortName = functionName.startsWith(prefix) ? functionName.slice(prefix.length) : functionName;
  const code = plain(inputs.code) as WireAsset;
  if (!code?.assets) throw new Error(`${fn.name}: its code is not an asset archive`);
  const assets = code.assets;
  const index = assets["__index.js"]?.text ?? "";
  const entries = [...index.matchAll(/require\("@lethe\/runtime\/([^"]+)\.js"\)/g)].map(
    (m) => `runtime/${m[1]}.ts`,
  );
  const dir = path.join(layout, shortName);
  for (const [key, asset] of Object.entries(assets)) layOutAsset(key, asset, dir);
  const files = archiveFiles(dir);
  const variables = (plain((plain(inputs.environment) as { variables?: unknown })?.variables) ??
    {}) as Record<string, unknown>;
  return {
    shortName,
    functionName,
    outputKey: outputKeyOf(shortName),
    description: String(plain(inputs.description) ?? ""),
    handler: String(plain(inputs.handler)),
    entries,
    memorySizeMb: Number(plain(inputs.memorySize)),
    timeoutSeconds: Number(plain(inputs.timeout)),
    environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(plain(v))])),
    packages: packagesOf(files.map((f) => f.key)),
    directPackages: directPackagesOf(files),
    files: files.length,
    unzippedBytes: files.reduce((n, f) => n + f.bytes, 0),
  };
}

const indexFile = "functions.json";

/**
 * Runs the program (current compiled runtime files included) and lays out every function under a
 * temporary folder renamed to `layout` when complete: concurrent processes each build theirs, and
 * the first rename wins.
 */
async function buildPackages(prepared: PreparedProgram, layout: string): Promise<void> {
  const { run } = await cachedProgramRun(prepared, { fresh: true });
  const parents = new Set(run.resources.filter((r) => r.type === letheFunctionType).map((r) => r.urn));
  const temp = `${layout}.${process.pid}.tmp`;
  fs.rmSync(temp, { recursive: true, force: true });
  try {
    const fns = run.resources
      .filter((r) => r.type === functionType && parents.has(r.parent))
      .map((r) => layOutFunction(r, prepared.stack, temp))
      .sort((a, b) => a.shortName.localeCompare(b.shortName));
    fs.writeFileSync(path.join(temp, indexFile), JSON.stringify(fns, null, 1));
    try {
      fs.renameSync(temp, layout);
    } catch (err) {
      if (!fs.existsSync(path.join(layout, indexFile))) throw err;
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

async function packageProgram(opts: PackagingOptions): Promise<PackagedFunctions> {
  const started = Date.now();
  const prepared = prepareProgram(opts.program, opts.stack);
  const key = runKey(prepared);
  const layout = path.join(packagesRoot, key);
  const hit = fs.existsSync(path.join(layout, indexFile));
  if (!hit) await buildPackages(prepared, layout);
  const stored = JSON.parse(fs.readFileSync(path.join(layout, indexFile), "utf8")) as Omit<
    PackagedFunction,
    "dir"
  >[];
  return {
    functions: stored.map((fn) => ({ ...fn, dir: path.join(layout, fn.shortName) })),
    cache: { hit, key, seconds: (Date.now() - started) / 1000, dir: layout },
  };
}

export interface PackagedFunctions {
  functions: PackagedFunction[];
  /** Whether the packages came from the cache (hit) or were built now, how long it took, and where. */
  cache: { hit: boolean; key: string; seconds: number; dir: string };
}

const runs = new Map<string, Promise<PackagedFunctions>>();

/**
 * Every LetheFunction of the program with its archive laid out as its zip would be, and how they were
 * obtained: from the on-disk cache when nothing they depend on changed (./runCache.ts), else
 * by running the program under mocks. Once per process and options; later calls get the same result.
 */
export function packagedProgram(opts: PackagingOptions = {}): Promise<PackagedFunctions> {
  const key = JSON.stringify([opts.program ?? "", opts.stack ?? "dev"]);
  let run = runs.get(key);
  if (!run) {
    run = packageProgram(opts);
    runs.set(key, run);
    run.catch(() => runs.delete(key));
  }
  return run;
}

/** Every LetheFunction of the program with its archive laid out (see packagedProgram). */
export async function packagedFunctions(opts: PackagingOptions = {}): Promise<PackagedFunction[]> {
  return (await packagedProgram(opts)).functions;
}

/** One function by short name; an unknown name is a UsageError listing the known ones. */
export async function packagedFunction(
  shortName: string,
  opts: PackagingOptions = {},
): Promise<PackagedFunction> {
  const all = await packagedFunctions(opts);
  const fn = all.find((f) => f.shortName === shortName || f.functionName === shortName);
  if (!fn) {
    throw new UsageError(
      `unknown function '${shortName}': the program has ${all.map((f) => f.shortName).join(", ")}`,
    );
  }
  return fn;
}

/** Zips the unpacked function (deflate, as Pulumi uploads it) next to its directory, once per package. */
export function zipFunction(fn: PackagedFunction): Promise<{ file: string; bytes: number }> {
  const file = `${fn.dir}.zip`;
  if (fs.existsSync(file)) return Promise.resolve({ file, bytes: fs.statSync(file).size });
  const zip = new ZipFile();
  for (const full of walk(fn.dir).sort()) {
    zip.addFile(full, path.relative(fn.dir, full).split(path.sep).join("/"), { mtime: new Date(0) });
  }
  zip.end();
  // Written aside and renamed: another process may zip the same package at the same time.
  const temp = `${file}.${process.pid}.tmp`;
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(temp);
    zip.outputStream.pipe(out).on("error", reject);
    out.on("error", reject);
    out.on("close", () => {
      fs.renameSync(temp, file);
      resolve({ file, bytes: fs.statSync(file).size });
    });
  });
}

/** What Lambda sets for every function, plus the variables the program sets on this one. */
export function lambdaEnvironment(fn: PackagedFunction): Record<string, string> {
  return {
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    ...fn.environment,
  };
}

/**
 * The values variables had before the first of the calls now under way overlaid them. Calls overlap
 * (a Parallel state's branches, purge workers): each restoring what it saw on entry would leave the
 * environment of the one that entered before it, for good. So only the last call out restores, to these.
 */
const beforeCalls = new Map<string, string | undefined>();
let callsUnderWay = 0;

export function withEnvironment<T>(env: Record<string, string>, run: () => T): T {
  for (const k of Object.keys(env)) if (!beforeCalls.has(k)) beforeCalls.set(k, process.env[k]);
  Object.assign(process.env, env);
  callsUnderWay++;
  const restore = () => {
    if (--callsUnderWay > 0) return;
    for (const [k, v] of beforeCalls) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    beforeCalls.clear();
  };
  let result: T;
  try {
    result = run();
  } catch (err) {
    restore();
    throw err;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

export type PackagedHandler = (event: unknown, context?: Record<string, unknown>) => Promise<unknown>;

/**
 * Loads the function's packaged `__index.js` in this process (a cold start: the factory runs now)
 * with the program's environment for it overlaid by `env`, which also applies during each call.
 * The unpacked directory holds its own node_modules, so nothing resolves from the project.
 */
/**
 * While a local trace is open (local/traceCollector.ts `openLocalTrace` sets these), what Lambda gives
 * a function with active tracing: its X-Ray SDK (loaded at this cold start) sends to the local daemon,
 * each invocation under the trace's header.
 */
function localTraceEnvironment(fn: PackagedFunction): Record<string, string> {
  const daemon = process.env.LETHE_TRACE_DAEMON_ADDRESS;
  const header = process.env.LETHE_TRACE_HEADER;
  if (!daemon || !header) return {};
  return {
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    LAMBDA_TASK_ROOT: fn.dir,
    AWS_XRAY_DAEMON_ADDRESS: daemon,
    _X_AMZN_TRACE_ID: header,
  };
}

export function loadPackagedHandler(fn: PackagedFunction, env: Record<string, string> = {}): PackagedHandler {
  const environment = { ...lambdaEnvironment(fn), ...env, ...localTraceEnvironment(fn) };
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(fn.dir + path.sep)) delete require.cache[key];
  }
  const index = path.join(fn.dir, fn.handler.split(".")[0] + ".js");
  const exportName = fn.handler.split(".").slice(1).join(".");
  const handler = withEnvironment(environment, () => require(index)[exportName]);
  if (typeof handler !== "function") throw new Error(`${index} exports no function ${exportName}`);
  const context = { functionName: fn.functionName, memoryLimitInMB: String(fn.memorySizeMb) };
  return (event, ctx = {}) =>
    withEnvironment(environment, () => Promise.resolve(handler(event, { ...context, ...ctx })));
}
