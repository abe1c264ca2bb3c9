// The import directions of the layout (README "Layout"): contracts at the bottom, runtime free of
// Pulumi and of the program, the CLI only parsing and printing, benchmarks free of test code.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";

const root = path.resolve(__dirname, "..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "fixtures") out.push(...sourceFiles(rel));
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
  it("runtime/ imports neither infra/, cli/, tools/, local/ nor Pulumi", () => {
    expect(
      violations(
        ["runtime"],
        (t) => ["infra", "cli", "tools", "local"].some((d) => under(t, d)) || t.startsWith("@pulumi/"),
      ),
    ).to.deep.equal([]);
  });

  it("local/ (the warm local stack) imports only runtime/ and tools/ of Lethe's", () => {
    expect(
      violations(["local"], (t) => ["infra", "cli", "test", "bench"].some((d) => under(t, d))),
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

  it("only the CLI's own tests import cli/", () => {
    expect(violations(["test"], (t, f) => under(t, "cli") && !under(f, "test/cli"))).to.deep.equal([]);
  });

  it("benchmarks do not import test/", () => {
    expect(violations(["bench"], (t) => under(t, "test"))).to.deep.equal([]);
  });

  it("cli/, tools/ and local/ reach infra/ only through the program's entry", () => {
    expect(
      violations(["cli", "tools", "local"], (t) => under(t, "infra") && t !== "infra/index" && t !== "infra"),
    ).to.deep.equal([]);
  });

  it("the checks see imports (a file that breaks a rule is reported)", () => {
    // Guards the scanner itself: a known import of runtime/contracts is found.
    expect(importsOf("infra/erasure/erasureTables.ts")).to.include("runtime/contracts/tables");
  });
});
