// The import directions of the layout (README "Layout"): contracts at the bottom, runtime free of
// Pulumi and of the program, local/ (the local stack, the program run under mocks, shared fixtures)
// below the CLI, the CLI's commands only parsing and printing over its work (cli/work/), benchmarks
// and scripts free of test code and of the CLI's commands.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";

const root = path.resolve(__dirname, "..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // test/fixtures/ holds programs that break the rules on purpose (a noncompliant program).
      if (entry.name !== "node_modules" && rel !== path.join("test", "fixtures"))
        out.push(...sourceFiles(rel));
    } else if (/\.(ts|js)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

/** Every module a file imports or requires, as a repo-relative path for local ones, else the package name. */
function importsOf(file: string): string[] {
  const src = fs.readFileSync(path.join(root, file), "utf8");
  const specs = [...src.matchAll(/(?:from|import|require)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
  return specs.map((s) =>
    s.startsWith(".") ? path.relative(root, path.resolve(root, path.dirname(file), s)) : s,
  );
}

function violations(dirs: string[], forbidden: (target: string, file: string) => boolean): string[] {
  const found: string[] = [];
  for (const file of dirs.flatMap(sourceFiles)) {
    for (const target of importsOf(file)) if (forbidden(target, file)) found.push(`${file} -> ${target}`);
  }
  return found;
}

const under = (target: string, dir: string) => target === dir || target.startsWith(`${dir}/`);

describe("layout: import directions", () => {
  it("tools/ is gone: its modules live in local/, cli/work/, test/support/ and scripts/", () => {
    expect(fs.existsSync(path.join(root, "tools"))).to.equal(false);
  });

  it("runtime/ imports neither infra/, cli/, local/, test/, bench/, scripts/ nor Pulumi", () => {
    expect(
      violations(
        ["runtime"],
        (t) =>
          ["infra", "cli", "local", "test", "bench", "scripts"].some((d) => under(t, d)) ||
          t.startsWith("@pulumi/"),
      ),
    ).to.deep.equal([]);
  });

  it("local/ (local stack, program under mocks, fixtures) imports only runtime/ of Lethe's and infra/'s entry", () => {
    expect(
      violations(["local"], (t) => ["cli", "test", "bench", "scripts", "policies"].some((d) => under(t, d))),
    ).to.deep.equal([]);
  });

  it("runtime/contracts/ imports nothing of Lethe's outside itself", () => {
    expect(
      violations(
        ["runtime/contracts"],
        (t) => !t.startsWith("runtime/contracts") && t.includes("/") && !t.startsWith("@"),
      ),
    ).to.deep.equal([]);
  });

  it("the CLI's work (cli/work/) imports none of the CLI's commands", () => {
    expect(violations(["cli/work"], (t) => under(t, "cli") && !under(t, "cli/work"))).to.deep.equal([]);
  });

  it("only the CLI's own tests import its commands; other tests import at most its work (cli/work/)", () => {
    expect(
      violations(["test"], (t, f) => under(t, "cli") && !under(t, "cli/work") && !under(f, "test/cli")),
    ).to.deep.equal([]);
  });

  it("benchmarks and scripts import none of the CLI's commands (bench:erasure runs cli/work/'s erase)", () => {
    expect(violations(["bench", "scripts"], (t) => under(t, "cli") && !under(t, "cli/work"))).to.deep.equal(
      [],
    );
  });

  it("nothing outside test/ imports test/", () => {
    expect(
      violations(["runtime", "infra", "cli", "local", "bench", "scripts", "policies"], (t) =>
        under(t, "test"),
      ),
    ).to.deep.equal([]);
  });

  it("cli/ and local/ reach infra/ only through the program's entry", () => {
    expect(
      violations(["cli", "local"], (t) => under(t, "infra") && t !== "infra/index" && t !== "infra"),
    ).to.deep.equal([]);
  });

  it("runtime/subjects/ (the ID vocabulary) imports nothing of Lethe's but runtime/contracts/", () => {
    expect(
      violations(
        ["runtime/subjects"],
        (t) => t.startsWith("runtime/") && !under(t, "runtime/subjects") && !under(t, "runtime/contracts"),
      ),
    ).to.deep.equal([]);
  });

  it("runtime/formats/ imports neither runtime/erasure/, runtime/ingest/ nor runtime/purge/", () => {
    expect(
      violations(["runtime/formats"], (t) =>
        ["runtime/erasure", "runtime/ingest", "runtime/purge"].some((d) => under(t, d)),
      ),
    ).to.deep.equal([]);
  });

  it("runtime/purge/ (the S3 object purge) does not import runtime/erasure/", () => {
    expect(violations(["runtime/purge"], (t) => under(t, "runtime/erasure"))).to.deep.equal([]);
  });

  it("every format's folder is registered in runtime/formats/index.ts, by one import", () => {
    const folders = fs
      .readdirSync(path.join(root, "runtime/formats"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join("runtime/formats", e.name));
    expect(folders).to.include.members(["runtime/formats/parquet", "runtime/formats/jsonLines"]);
    const registry = importsOf("runtime/formats/index.ts");
    expect(folders.filter((f) => !registry.includes(f))).to.deep.equal([]);
  });

  it("the packages of runtime/ (its first-level folders) import each other without a cycle", () => {
    const packageOf = (p: string) => p.split("/")[1];
    const edges = new Map<string, Set<string>>();
    for (const file of sourceFiles("runtime")) {
      for (const target of importsOf(file)) {
        if (!under(target, "runtime") || packageOf(target) === packageOf(file)) continue;
        const from = edges.get(packageOf(file)) ?? new Set<string>();
        edges.set(packageOf(file), from.add(packageOf(target)));
      }
    }
    // Depth-first: a package met again while still on the path closes a cycle.
    const cycles: string[] = [];
    const done = new Set<string>();
    const visit = (pkg: string, trail: string[]) => {
      if (trail.includes(pkg))
        return void cycles.push([...trail.slice(trail.indexOf(pkg)), pkg].join(" -> "));
      if (done.has(pkg)) return;
      for (const next of edges.get(pkg) ?? []) visit(next, [...trail, pkg]);
      done.add(pkg);
    };
    for (const pkg of edges.keys()) visit(pkg, []);
    expect(edges.get("erasure")).to.include("formats"); // the scan sees the graph
    expect(cycles).to.deep.equal([]);
  });

  it("the checks see imports (a file that breaks a rule is reported)", () => {
    // Guards the scanner itself: a known import of runtime/contracts is found, and the folders named
    // fixtures outside test/ are scanned (local/fixtures/ is shared with the benchmarks).
    expect(importsOf("infra/erasure/erasureTables.ts")).to.include("runtime/contracts/tables");
    expect(sourceFiles("local")).to.include(path.join("local", "fixtures", "lockTable.ts"));
    expect(importsOf("local/fixtures/lockTable.ts")).to.include("local/stack");
  });
});
