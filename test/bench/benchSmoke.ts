// Runs `npm run <script> -- --smoke` and checks it exits 0 having printed its last figures.
import { expect } from "chai";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const root = path.resolve(__dirname, "../..");

export function benchSmoke(script: string, figures: RegExp): void {
  const r = spawnSync("npm", ["run", "-s", script, "--", "--smoke"], {
    cwd: root,
    encoding: "utf8",
    // Each benchmark starts its own emulator, as it does for a user (bench:lock against a shared
    // endpoint printed its figures, then never exited).
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "AWS_ENDPOINT_URL")),
      LETHE_BENCH_CACHE: path.join(root, ".lethe", "bench-cache"),
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
  expect(r.stdout).to.match(figures);
}
