// Runs `npm run <script> -- --smoke` and checks it exits 0 having printed its last figures.
import { expect } from "chai";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const root = path.resolve(__dirname, "../..");

export function benchSmoke(script: string, figures: RegExp): void {
  const r = spawnSync("npm", ["run", "-s", script, "--", "--smoke"], {
    cwd: root,
    encoding: "utf8",
    // The generated lakes of bench:find and bench:erasure, kept with the project's other caches.
    env: { ...process.env, LETHE_BENCH_CACHE: path.join(root, ".lethe", "bench-cache") },
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
  expect(r.stdout).to.match(figures);
}
