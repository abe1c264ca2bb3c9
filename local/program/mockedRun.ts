// Runs a Pulumi TypeScript program under Pulumi's mocks and records what the engine would know about
// each resource it registers: URN, type, name, parent, dependencies (overall and per property),
// provider, options, the inputs it sent (what `analyze` gets) and the resulting state (what
// `analyzeStack` gets). The mocks answer like AWS would (ids, ARNs, names), without any cloud.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { mockCall, mockState } from "./mockAws";
import { projectRoot as findProjectRoot } from "../../runtime/contracts/projectConfig";
import { ensureTypeScriptLoader } from "./typescriptLoader";
import { lightenMockedRuns } from "./lighterMockedRuns";

/** A resource as the Pulumi engine hands it to an analyzer. */
export interface CollectedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Provider reference "<urn>::<id>" (empty: the default provider for the type's package). */
  provider: string;
  options: {
    protect: boolean;
    ignoreChanges: string[];
    deleteBeforeReplace?: boolean;
    aliases: string[];
    customTimeouts: { create: number; update: number; delete: number };
    additionalSecretOutputs: string[];
  };
  /** Serialized inputs, as registered (Pulumi wire format: secrets and assets keep their signatures). */
  inputs: Record<string, unknown>;
  /** Serialized state after "creation" under the mocks, including `id`. */
  outputs: Record<string, unknown>;
}

export interface ProgramRun {
  project: string;
  stack: string;
  programPath: string;
  config: Record<string, string>;
  resources: CollectedResource[];
  /** The program's exports (its stack outputs), resolved under the mocks. */
  exports: Record<string, unknown>;
}

export class ProgramError extends Error {}

const projectRoot = findProjectRoot();

/** The program's project: nearest Pulumi.yaml at or above the entry (name, config declarations, main). */
function findProject(start: string): { dir: string; doc: Record<string, unknown> } | undefined {
  let dir = fs.existsSync(start) && fs.statSync(start).isDirectory() ? start : path.dirname(start);
  for (;;) {
    const file = path.join(dir, "Pulumi.yaml");
    if (fs.existsSync(file))
      return { dir, doc: (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown> };
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Resolves `--program` (a module file, or a directory holding a Pulumi project or an index.ts). */
export function resolveProgram(given: string | undefined): {
  entry: string;
  project?: ReturnType<typeof findProject>;
} {
  const target = path.resolve(given ?? projectRoot);
  if (!fs.existsSync(target) && !fs.existsSync(`${target}.ts`)) {
    throw new ProgramError(`program not found: ${target}`);
  }
  let entry = fs.existsSync(target) ? target : `${target}.ts`;
  const project = findProject(entry);
  if (fs.statSync(entry).isDirectory()) {
    const main =
      project && project.dir === entry && typeof project.doc.main === "string" ? project.doc.main : ".";
    entry = path.resolve(entry, main);
    if (fs.existsSync(entry) && fs.statSync(entry).isDirectory()) entry = path.join(entry, "index.ts");
    if (!fs.existsSync(entry)) throw new ProgramError(`no program entry module at ${entry}`);
  }
  return { entry, project };
}

/** The declared key closest to `key` (edit distance at most 3), for a did-you-mean hint. */
function closest(key: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let diagonal = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const above = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
        diagonal = above;
      }
    }
    return row[b.length];
  };
  let best: { key: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(key.toLowerCase(), c.toLowerCase());
    if (d <= 3 && (!best || d < best.d)) best = { key: c, d };
  }
  return best?.key;
}

/**
 * Stack config as the CLI gives it to a program: Pulumi.yaml defaults, overridden by Pulumi.<stack>.yaml.
 * A stack named explicitly must have its file, and a key in the project's namespace must be declared in
 * Pulumi.yaml: a misspelt setting would otherwise be ignored and its default checked instead.
 */
function stackConfig(
  project: ReturnType<typeof findProject>,
  stack: string,
  stackNamed: boolean,
): Record<string, string> {
  const config: Record<string, string> = {};
  if (!project) return config;
  const name = String(project.doc.name ?? "project");
  const str = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  const declared = (project.doc.config ?? {}) as Record<string, unknown>;
  const declaredKeys = Object.keys(declared).map((key) => (key.includes(":") ? key : `${name}:${key}`));
  for (const [key, decl] of Object.entries(declared)) {
    const full = key.includes(":") ? key : `${name}:${key}`;
    const value =
      decl && typeof decl === "object" && "default" in decl ? (decl as { default: unknown }).default : decl;
    if (
      value !== undefined &&
      (typeof value !== "object" || value === null || !("type" in (value as object)))
    )
      config[full] = str(value);
  }
  const stackFile = path.join(project.dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    if (stackNamed) throw new ProgramError(`stack ${stack}: no stack file ${stackFile}`);
    return config;
  }
  let doc: { config?: Record<string, unknown> };
  try {
    doc = (yaml.load(fs.readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  } catch (err) {
    throw new ProgramError(`stack file ${stackFile} is not valid YAML: ${(err as Error).message}`);
  }
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (key.startsWith(`${name}:`) && Object.keys(declared).length > 0 && !declaredKeys.includes(key)) {
      const hint = closest(key, declaredKeys);
      throw new ProgramError(
        `${stackFile}: ${key} is not a setting of project ${name}${hint ? ` (did you mean ${hint}?)` : ""}`,
      );
    }
    config[key] = str(value);
  }
  return config;
}

function seconds(duration: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(duration.trim());
  if (!m) return 0;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as "ms" | "s" | "m" | "h"];
}

export interface PreparedProgram {
  entry: string;
  /** The project directory, the working directory the Pulumi CLI runs the program in. */
  dir: string;
  project: string;
  stack: string;
  config: Record<string, string>;
}

/** Finds the program's entry, project name and stack config (before anything runs). */
export function prepareProgram(program: string | undefined, stack?: string): PreparedProgram {
  const { entry, project } = resolveProgram(program);
  return {
    entry,
    dir: project?.dir ?? path.dirname(entry),
    project: String(project?.doc.name ?? path.basename(path.dirname(entry))),
    stack: stack ?? "dev",
    config: stackConfig(project, stack ?? "dev", stack !== undefined),
  };
}

export interface Recorder {
  resources: CollectedResource[];
  /** When the last resource registration arrived (ms since epoch). */
  lastRegistration(): number;
}

/**
 * Records every registration the current mock monitor answers (call after `pulumi.runtime.setMocks`).
 * Tests use it with their own mocks; the gate with the mocks below.
 */
export function recordRegistrations(): Recorder {
  const settings = require("@pulumi/pulumi/runtime/settings");
  const resources: CollectedResource[] = [];
  let last = Date.now();
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResource = (req: any, callback: (err: unknown, resp?: any) => void) => {
    last = Date.now();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    register(req, (err: unknown, resp: any) => {
      if (!err && resp) resources.push(collected(req, resp));
      callback(err, resp);
    });
  };
  return { resources, lastRegistration: () => last };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function collected(req: any, resp: any): CollectedResource {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((v: { getUrnsList(): string[] }, k: string) => {
    propertyDependencies[k] = v.getUrnsList();
  });
  const timeouts = req.getCustomtimeouts();
  return {
    urn: resp.getUrn(),
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    parent: req.getParent(),
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    provider: req.getProvider(),
    options: {
      protect: req.getProtect() ?? false,
      ignoreChanges: req.getIgnorechangesList(),
      deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      aliases: req
        .getAliasesList()
        .map((a: { getUrn(): string }) => a.getUrn())
        .filter((u: string) => u),
      customTimeouts: {
        create: seconds(timeouts?.getCreate() ?? ""),
        update: seconds(timeouts?.getUpdate() ?? ""),
        delete: seconds(timeouts?.getDelete() ?? ""),
      },
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    },
    inputs: req.getObject()?.toJavaScript() ?? {},
    outputs: {
      ...(resp.getObject()?.toJavaScript() ?? {}),
      ...(req.getCustom() ? { id: resp.getId() } : {}),
    },
  };
}

/**
 * Runs the program under mocks in this process and returns every registered resource. `@pulumi/*`
 * packages always resolve from this project (one Pulumi runtime), and so does any package the
 * program does not have itself. Serializing some thirty function closures takes tens of seconds on
 * a busy machine, hence the generous limit.
 */
export async function runUnderMocks(prepared: PreparedProgram, timeoutMs = 180_000): Promise<ProgramRun> {
  const { entry, dir, project, stack, config } = prepared;
  const region = config["aws:region"] ?? "eu-west-1";
  shareProjectPackages();
  lightenMockedRuns();

  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  pulumi.runtime.setAllConfig(config);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => mockState(args.type, args.name, args.inputs, region, stack),
      call: (args) => mockCall(args.token, args.inputs, region),
    },
    project,
    stack,
    false,
  );
  const recorder = recordRegistrations();

  const failures: unknown[] = [];
  const onFailure = (err: unknown) => failures.push(err);
  process.on("unhandledRejection", onFailure);
  process.on("uncaughtException", onFailure);
  let exported: Record<string, unknown> = {};
  // Closure serialization looks for the program's package.json from the working directory up, and
  // packaged functions name their files relative to it: run from the directory holding the program's
  // package.json; a program without one runs on this project's packages (shareProjectPackages), so here.
  const cwd = process.cwd();
  process.chdir(packageJsonDirAbove(dir) ?? projectRoot);
  try {
    let bodyDone = Date.now();
    try {
      // A second run in this process must execute the program again, under the new mocks.
      if (entry.endsWith(".ts")) ensureTypeScriptLoader();
      delete require.cache[require.resolve(entry)];
      const loaded = require(entry);
      // Pulumi runs an exported function (sync or async) as the program body.
      const body =
        typeof loaded === "function"
          ? loaded()
          : typeof loaded?.default === "function"
            ? loaded.default()
            : loaded;
      const result = await body;
      exported = (result && typeof result === "object" ? result : loaded) ?? {};
      bodyDone = Date.now();
    } catch (err) {
      throw new ProgramError(`the program failed: ${(err as Error)?.message ?? err}`);
    }
    // Resources registered in callbacks (apply) arrive later: wait until the engine's queue of
    // resource operations has drained (a magic Lambda registers only once its code is packaged),
    // then until registrations stop.
    await waitForRegistrations(timeoutMs);
    bodyDone = Date.now();
    const deadline = Date.now() + timeoutMs;
    // Loading the program can take longer than the quiet period: count it from the body's end too.
    const lastActivity = () => Math.max(bodyDone, recorder.lastRegistration());
    while (Date.now() - lastActivity() < 300 && failures.length === 0) {
      if (Date.now() > deadline)
        throw new ProgramError(`the program was still registering resources after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (failures.length) {
      throw new ProgramError(`the program failed: ${(failures[0] as Error)?.message ?? failures[0]}`);
    }
    exported = await resolveExports(pulumi, exported);
  } finally {
    process.chdir(cwd);
    process.off("unhandledRejection", onFailure);
    process.off("uncaughtException", onFailure);
  }
  return { project, stack, programPath: entry, config, resources: recorder.resources, exports: exported };
}

/** Each export's value once the mocks have answered (functions and the default export left out). */
async function resolveExports(
  pulumi: typeof import("@pulumi/pulumi"),
  exported: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const entries = Object.entries(exported).filter(([k, v]) => k !== "default" && typeof v !== "function");
  const values = await Promise.all(
    entries.map(
      ([, v]) =>
        new Promise<unknown>((resolve) =>
          (pulumi.output(v) as import("@pulumi/pulumi").Output<unknown>).apply(resolve),
        ),
    ),
  );
  return Object.fromEntries(entries.map(([k], i) => [k, values[i]]));
}

function packageJsonDirAbove(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "package.json"))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/** Pulumi's own wait for outstanding resource operations (internal; absent in other releases). */
async function waitForRegistrations(timeoutMs: number): Promise<void> {
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };
  if (typeof settings.waitForRPCs !== "function") return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProgramError(`the program was still registering resources after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([settings.waitForRPCs(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let shared = false;

/** Makes a program outside this project use this project's packages (and always our @pulumi runtime). */
function shareProjectPackages(): void {
  if (shared) return;
  shared = true;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Module = require("node:module") as any;
  const resolve = Module._resolveFilename;
  // A stand-in parent module living at the project root, so lookups walk this project's node_modules.
  const root = new Module(path.join(projectRoot, "index.js"));
  root.filename = root.id;
  root.paths = Module._nodeModulePaths(projectRoot);
  Module._resolveFilename = function (request: string, parent: unknown, ...rest: unknown[]) {
    if (request.startsWith("@pulumi/")) return resolve.call(this, request, root, ...rest);
    try {
      return resolve.call(this, request, parent, ...rest);
    } catch (err) {
      if (
        (err as { code?: string }).code !== "MODULE_NOT_FOUND" ||
        request.startsWith(".") ||
        path.isAbsolute(request)
      )
        throw err;
      return resolve.call(this, request, root, ...rest);
    }
  };
}
