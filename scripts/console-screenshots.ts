// `npm run docs:console`: the operator console's screenshots in docs/console/ (each page at 1280 px,
// and at 390 px with the suffix -390), taken by the console's own browser test (test/api/console.test.ts)
// as it drives every page against `lethe api --local` over a warm local stack: the pages shown are the
// pages tested (accessible, within their CSP, no customer ID after COMPLETED).
//   npx ts-node --transpile-only scripts/console-screenshots.ts
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const out = path.join(root, "docs", "console");

if (require.main === module) {
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(out)) if (f.endsWith(".png")) fs.rmSync(path.join(out, f));
  const run = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "mocha", "bin", "mocha.js"), "test/api/console.test.ts"],
    { cwd: root, stdio: "inherit", env: { ...process.env, LETHE_CONSOLE_SCREENSHOTS: out } },
  );
  if (run.status !== 0) {
    process.stderr.write("console-screenshots: the console's browser test failed; no screenshots kept\n");
    process.exit(run.status ?? 1);
  }
  const shots = fs.readdirSync(out).filter((f) => f.endsWith(".png"));
  process.stdout.write(`wrote ${shots.length} screenshots in docs/console/: ${shots.sort().join(", ")}\n`);
}
