// The generated lake bench:find and bench:erasure share (bench/make_find_lake.py): 30 daily partitions
// of at least `gb` GB, generated once into a cache dir (LETHE_BENCH_CACHE, default ~/.cache/lethe).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

export function findLakeDir(gb: number): string {
  const cache = process.env.LETHE_BENCH_CACHE ?? path.join(os.homedir(), ".cache", "lethe");
  const dir = path.join(cache, `find-lake-${gb}gb-v2`);
  if (!fs.existsSync(path.join(dir, ".complete"))) {
    fs.rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`generating a ${gb} GB lake in ${dir} (once)...\n`);
    execFileSync(
      path.join(root, ".venv", "bin", "python"),
      [path.join(__dirname, "make_find_lake.py"), dir, String(Math.round(gb * 1024 ** 3))],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
  }
  return dir;
}
