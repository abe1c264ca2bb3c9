// How a LetheFunction's code reaches its zip. `aws.lambda.CallbackFunction` serializes the factory;
// left alone it would serialize our runtime/ modules by value, which loses class field initializers
// and the files worker threads start from. Instead:
//
// 1. `buildRuntime` compiles runtime/**/*.ts into real CommonJS files under
//    node_modules/@lethe/runtime (nothing to commit; rebuilt whenever a source is newer);
// 2. `shipRuntimeAsFiles` registers each loaded runtime module under its compiled file's path too, so
//    the closure serializer (which references anything under node_modules by `require`) writes
//    `require("@lethe/runtime/handlers/x.js")` instead of copying the module's code;
// 3. `functionContents` works out, from the runtime modules the factory calls into, which compiled
//    files (including worker-thread files) and which npm packages that function's zip needs; the
//    function passes them to CallbackFunction as `codePathOptions`.
import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";

const projectRoot = path.resolve(__dirname, "..", "..");
const runtimeSource = path.join(projectRoot, "runtime");
/** The package name the compiled runtime is required by, inside the zip as in the project. */
export const runtimePackageName = "@lethe/runtime";
export const runtimeBuildDir = path.join(projectRoot, "node_modules", ...runtimePackageName.split("/"));

let built = false;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** The compiled file of a runtime/ source. */
export function compiledPath(source: string): string {
  return path.join(runtimeBuildDir, path.relative(runtimeSource, source)).replace(/\.ts$/, ".js");
}

/**
 * Compiles every runtime/ source newer than its compiled file (each file on its own, as ts-node
 * does; `tsc --noEmit` type-checks the project), and removes compiled files whose source is gone.
 * Runs once per process.
 */
export function buildRuntime(): void {
  if (built) return;
  const sources = sourceFiles(runtimeSource);
  const stale = sources.filter((s) => {
    const out = compiledPath(s);
    return !fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(s).mtimeMs;
  });
  if (stale.length > 0) {
    // Loaded only when something must be compiled (it takes a moment).
    const ts = require("typescript") as typeof import("typescript");
    for (const source of stale) {
      const { outputText } = ts.transpileModule(fs.readFileSync(source, "utf8"), {
        fileName: source,
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.CommonJS,
          esModuleInterop: true,
        },
      });
      const out = compiledPath(source);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      // Another process may build at the same time: write aside, then rename (atomic).
      const temp = `${out}.${process.pid}.tmp`;
      fs.writeFileSync(temp, outputText);
      fs.renameSync(temp, out);
    }
  }
  const wanted = new Set(sources.map(compiledPath));
  if (fs.existsSync(runtimeBuildDir)) {
    for (const file of fs.readdirSync(runtimeBuildDir, { recursive: true, encoding: "utf8" })) {
      const full = path.join(runtimeBuildDir, file);
      if (full.endsWith(".js") && !wanted.has(full)) fs.rmSync(full);
    }
  }
  built = true;
}

function isRuntimeSource(file: string): boolean {
  return file.startsWith(runtimeSource + path.sep) && file.endsWith(".ts");
}

/**
 * Makes the closure serializer reference loaded runtime modules by `require` of their compiled
 * files. It names a module after the first `require.cache` entry holding its exports, and requires
 * anything under node_modules instead of copying it: so each runtime module is entered again under
 * its compiled path, ahead of its source path (the same module object under both keys).
 */
export function shipRuntimeAsFiles(): void {
  const cache = require.cache;
  for (const key of Object.keys(cache)) {
    if (!isRuntimeSource(key)) continue;
    const alias = compiledPath(key);
    if (cache[alias] !== undefined) continue;
    const mod = cache[key];
    delete cache[key];
    cache[alias] = mod;
    cache[key] = mod;
  }
}

/** What one function's zip carries besides the serialized closure. */
export interface FunctionContents {
  /** The runtime modules the factory calls into (sources), e.g. runtime/handlers/filterBuilder.ts. */
  entries: string[];
  /** Compiled runtime files, relative to the working directory (paths in the zip). */
  includePaths: string[];
  /** npm packages the function needs (top-level names), transitive dependencies included. */
  packages: string[];
  /** The project's dependencies the function does not need (kept out of its zip). */
  excludePackages: string[];
}

function loadedRuntimeModules(): [string, Record<string, unknown>][] {
  return Object.entries(require.cache)
    .filter(([key, mod]) => isRuntimeSource(key) && mod !== undefined)
    .map(([key, mod]) => [key, mod!.exports as Record<string, unknown>]);
}

/**
 * The runtime modules a factory calls into: a factory that is itself a runtime export, or the
 * `module_N.name` references TypeScript's CommonJS output makes of `() => createXHandler(...)`.
 */
export function referencedRuntimeModules(factory: (...args: never[]) => unknown): string[] {
  const modules = loadedRuntimeModules();
  const found = new Set<string>();
  for (const [file, exports] of modules) {
    if (Object.values(exports).includes(factory)) found.add(file);
  }
  // A runtime export's own body names the modules it imports, which its compiled file requires anyway.
  if (found.size > 0) return [...found];
  for (const m of factory.toString().matchAll(/\b([A-Za-z_$][\w$]*?)_\d+\.([A-Za-z_$][\w$]*)/g)) {
    const [, alias, name] = m;
    for (const [file, exports] of modules) {
      const base = path.basename(file, ".ts").replace(/[^\w$]/g, "_");
      if (base === alias && Object.prototype.hasOwnProperty.call(exports, name)) found.add(file);
    }
  }
  return [...found].sort();
}

const requirePattern = /\brequire\("([^"]+)"\)/g;
// A file a module starts a worker thread from: `path.join(__dirname, "rowGroupWorker.js")`.
const siblingFilePattern = /path\.join\(__dirname,\s*"([^"]+\.js)"\)/g;

function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]);
}

function resolveLocal(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.js`, path.join(base, "index.js")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${from}: cannot resolve require("${specifier}") in the compiled runtime`);
}

/** The compiled files reachable from `entries` and the packages they require directly. */
function compiledClosure(entries: string[]): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = entries.map(compiledPath);
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const code = fs.readFileSync(file, "utf8");
    for (const [, spec] of code.matchAll(requirePattern)) {
      if (spec.startsWith(".")) queue.push(resolveLocal(file, spec));
      else if (!isBuiltin(spec)) packages.add(packageOf(spec));
    }
    for (const [, sibling] of code.matchAll(siblingFilePattern)) {
      queue.push(resolveLocal(file, `./${sibling}`));
    }
  }
  return { files: [...files].sort(), packages };
}

function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** Every package name reachable from `roots` through dependencies, optional and peer dependencies. */
function packageClosure(roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue: [string, string][] = [...roots].map((name) => [name, projectRoot]);
  const visitedDirs = new Set<string>();
  while (queue.length > 0) {
    const [name, from] = queue.pop()!;
    seen.add(name);
    const dir = packageDir(name, from);
    if (!dir || visitedDirs.has(dir)) continue;
    visitedDirs.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
      for (const dep of Object.keys(pkg[field] ?? {})) queue.push([dep, dir]);
    }
  }
  return seen;
}

function projectDependencies(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8"));
  return Object.keys(pkg.dependencies ?? {});
}

/**
 * The contents of one function's zip, from the runtime modules its factory calls into. A factory
 * that names no runtime module gets the whole compiled runtime and every dependency.
 */
export function functionContents(owner: string, factory: (...args: never[]) => unknown): FunctionContents {
  buildRuntime();
  shipRuntimeAsFiles();
  const relative = (file: string) => {
    const rel = path.relative(process.cwd(), file);
    if (rel.startsWith("..") || path.isAbsolute(rel)) {
      throw new Error(`${owner}: run the program from the project directory ${projectRoot}`);
    }
    return rel.split(path.sep).join("/");
  };
  const dependencies = projectDependencies();
  const entries = referencedRuntimeModules(factory);
  if (entries.length === 0) {
    return {
      entries,
      includePaths: [relative(runtimeBuildDir)],
      packages: dependencies,
      excludePackages: [],
    };
  }
  const { files, packages: required } = compiledClosure(entries);
  // Only dependencies ship; a devDependency named in a dead branch (ts-node for .ts workers) does not.
  const direct = [...required].filter((p) => dependencies.includes(p));
  const needed = packageClosure(direct);
  return {
    entries,
    includePaths: files.map(relative),
    packages: direct.sort(),
    excludePackages: dependencies.filter((d) => !needed.has(d)),
  };
}
