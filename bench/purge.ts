// Purge benchmark: our engine vs DuckDB's COPY ... WHERE customer_id NOT IN (...) on the same
// reference file (1 M rows, 8 row groups, GZIP), removing 200 IDs. Each side runs in its own child
// process so peak RSS is its own. Prints MB/s of input, peak RSS, CPU use and the time ratio.
// Contenders: lethe with its defaults (gzip level 5, Z_FILTERED; on 2 cores WASM in the main thread, pages
// deflated on one thread per core), lethe with 2 worker threads, lethe at gzip level 6, and DuckDB with 2 threads.
// Usage: npm run bench:purge [-- --int96] [-- --runs N]
// `--big [--rows N]`: one row group of ~1 GB uncompressed (4,000,000 rows; ~250 bytes a row
// uncompressed, bench/make_big_row_group.py, 505 MB GZIP), 200 IDs:
// lethe's default (field by field) beside the whole-row-group rewrite forced on it, one run each;
// prints seconds and peak RSS of each child (the whole-row-group path may fail: its error is shown).
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { sized } from "./smoke";

const root = path.resolve(__dirname, "..");
const outDir = path.join(root, "bench", "out");
const python = path.join(root, ".venv", "bin", "python");

interface RunResult {
  /** The child's failure (only reported, in --big runs). */
  error?: string;
  outputMb: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  rowsAfter: number;
}

/** The engine compiled to JavaScript, as a Lambda runs it (ts-node would load TypeScript into every worker). */
const compiled = path.join(outDir, "js");

function compileEngine(): void {
  const files = ["purge/localFiles.ts", "formats/parquet/rowGroupWorker.ts"].map((f) =>
    path.join(root, "runtime", f),
  );
  const flags = [
    "--outDir",
    compiled,
    // The compiled layout mirrors runtime/ whatever the files import (purge imports formats/ and subjects/).
    "--rootDir",
    path.join(root, "runtime"),
    "--module",
    "commonjs",
    "--target",
    "es2022",
    "--esModuleInterop",
    "--skipLibCheck",
  ];
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), ...flags, ...files], {
    stdio: "inherit",
  });
}

async function runOurs(input: string, output: string, ids: string[]): Promise<RunResult> {
  const { purgeParquetFile } = require(
    path.join(compiled, "purge", "localFiles.js"),
  ) as typeof import("../runtime/purge/localFiles");
  const { keyMatcher } = require(
    path.join(compiled, "subjects", "matcher.js"),
  ) as typeof import("../runtime/subjects/matcher");
  const t0 = process.hrtime.bigint();
  const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const options = {
    gzipLevel: env("LETHE_BENCH_GZIP_LEVEL"),
    workers: env("LETHE_BENCH_WORKERS"),
    fieldByFieldFromBytes: env("LETHE_BENCH_FIELD_BY_FIELD_FROM_BYTES"),
  };
  const stats = await purgeParquetFile(input, output, keyMatcher(["customer_id"], ids), options);
  return finish(t0, stats.rowsAfter, output);
}

async function runDuckDb(input: string, output: string, ids: string[]): Promise<RunResult> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const t0 = process.hrtime.bigint();
  const db = await DuckDBInstance.create(":memory:", { threads: "2" });
  const conn = await db.connect();
  const list = ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(",");
  await conn.run(
    `COPY (SELECT * FROM read_parquet('${input}') WHERE customer_id NOT IN (${list})) TO '${output}' (FORMAT parquet, COMPRESSION gzip)`,
  );
  const rows = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${output}')`);
  const result = finish(t0, Number(rows.getRows()[0][0]), output);
  conn.closeSync();
  return result;
}

function finish(t0: bigint, rowsAfter: number, output: string | undefined): RunResult {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const usage = process.resourceUsage();
  return {
    outputMb: output ? fs.statSync(output).size / 1e6 : 0,
    seconds,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    maxRssMb: usage.maxRSS / 1024,
    rowsAfter,
  };
}

function child(which: string, input: string, ids: string, env: Record<string, string> = {}): RunResult {
  const r = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", __filename, "--child", which, input, ids],
    {
      encoding: "utf8",
      cwd: root,
      env: { ...process.env, ...env },
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) throw new Error(`${which} failed: ${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split("\n").pop()!) as RunResult;
  if (result.error !== undefined && !env.LETHE_BENCH_REPORT_FAILURE) {
    throw new Error(`${which} failed: ${result.error}`);
  }
  return result;
}

/** Rows of the default big row group: ~1 GB uncompressed. */
const BIG_ROWS = 4_000_000;

/** One run each of the field-by-field default and the forced whole-row-group rewrite on one big row group. */
function benchBigRowGroup(idFile: string, rows: number): void {
  const input = path.join(
    outDir,
    rows === BIG_ROWS ? "big-row-group.parquet" : `big-row-group-${rows}.parquet`,
  );
  if (!fs.existsSync(input)) {
    process.stderr.write(`generating ${input} with pyarrow (about 5 minutes, ~1.2 GB peak RSS)\n`);
    execFileSync(python, [path.join(__dirname, "make_big_row_group.py"), input, String(rows)], {
      stdio: "inherit",
    });
  }
  const mb = fs.statSync(input).size / 1e6;
  console.log(
    `input ${path.basename(input)}: ${mb.toFixed(1)} MB GZIP, one row group of ${(uncompressedMb(input) / 1000).toFixed(2)} GB uncompressed, 200 IDs; one run each`,
  );
  const runs: [string, Record<string, string>][] = [
    ["lethe (field by field)", {}],
    ["lethe, whole row group", { LETHE_BENCH_FIELD_BY_FIELD_FROM_BYTES: "Infinity" }],
  ];
  for (const [name, env] of runs) {
    const r = child("ours", input, idFile, { ...env, LETHE_BENCH_REPORT_FAILURE: "1" });
    const outcome = r.error
      ? `FAILED (${r.error})`
      : `output ${r.outputMb.toFixed(1)} MB, ${r.rowsAfter} rows kept`;
    console.log(
      `${name.padEnd(24)} ${r.seconds.toFixed(1)} s  peak RSS ${r.maxRssMb.toFixed(0)} MB  ` +
        `CPU ${r.cpuSeconds.toFixed(1)} s  ${outcome}`,
    );
  }
}

/** The uncompressed size of a file's row groups, as its footer states it (pyarrow). */
function uncompressedMb(file: string): number {
  const code = `import pyarrow.parquet as pq, sys; m = pq.ParquetFile(sys.argv[1]).metadata; print(sum(m.row_group(i).total_byte_size for i in range(m.num_row_groups)))`;
  return Number(execFileSync(python, ["-c", code, file]).toString().trim()) / 1e6;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    const [, which, input, idFile] = args;
    const ids = JSON.parse(fs.readFileSync(idFile, "utf8")) as string[];
    const output = path.join(outDir, `purged-${which}.parquet`);
    const t0 = process.hrtime.bigint();
    if (process.env.LETHE_BENCH_REPORT_FAILURE) {
      // parquet-wasm's "unreachable" (its heap exhausted) can surface outside the awaited promise.
      const report = (err: unknown) => {
        const error = String((err as Error)?.message ?? err).split("\n")[0];
        process.stdout.write(JSON.stringify({ ...finish(t0, 0, undefined), error }) + "\n");
        process.exit(0);
      };
      process.on("uncaughtException", report);
      process.on("unhandledRejection", report);
    }
    let result: RunResult;
    try {
      result = which === "ours" ? await runOurs(input, output, ids) : await runDuckDb(input, output, ids);
    } catch (err) {
      if (!process.env.LETHE_BENCH_REPORT_FAILURE) throw err;
      result = { ...finish(t0, 0, undefined), error: String((err as Error).message ?? err).split("\n")[0] };
    }
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const int96 = args.includes("--int96");
  const big = args.includes("--big");
  const rowsAt = args.indexOf("--rows");
  const runsAt = args.indexOf("--runs");
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : sized(3, 1);
  fs.mkdirSync(outDir, { recursive: true });
  if (big) {
    compileEngine();
    benchBigRowGroup(writeIds(), rowsAt >= 0 ? Number(args[rowsAt + 1]) : BIG_ROWS);
    return;
  }
  const name = `purge-reference${int96 ? "-int96" : ""}${sized("", "-smoke")}.parquet`;
  const input = path.join(outDir, name);
  if (!fs.existsSync(input)) {
    process.stderr.write(`generating ${input} with pyarrow (about 30 s)\n`);
    execFileSync(
      python,
      [path.join(__dirname, "make_purge_reference.py"), input, ...(int96 ? ["int96"] : [])],
      { stdio: "inherit", env: { ...process.env, PURGE_REFERENCE_ROWS: String(sized(1_000_000, 2_000)) } },
    );
  }
  compileEngine();
  const idFile = writeIds();
  const mb = fs.statSync(input).size / 1e6;

  // Interleaved runs, so that load from other processes hits every contender alike.
  const ours: RunResult[] = [];
  const inline: RunResult[] = [];
  const fast: RunResult[] = [];
  const duck: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(child("ours", input, idFile));
    duck.push(child("duckdb", input, idFile));
    inline.push(child("ours", input, idFile, { LETHE_BENCH_WORKERS: "2" }));
    fast.push(child("ours", input, idFile, { LETHE_BENCH_GZIP_LEVEL: "6" }));
  }
  const best = (xs: RunResult[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const [o, d, n, f] = [best(ours), best(duck), best(inline), best(fast)];
  if (o.rowsAfter !== d.rowsAfter)
    throw new Error(`row counts differ: ours ${o.rowsAfter}, DuckDB ${d.rowsAfter}`);
  const line = (name: string, r: RunResult) =>
    `${name.padEnd(18)} ${r.seconds.toFixed(2)} s  ${(mb / r.seconds).toFixed(1)} MB/s  peak RSS ${r.maxRssMb.toFixed(0)} MB  ` +
    `CPU ${r.cpuSeconds.toFixed(2)} s (${(r.cpuSeconds / r.seconds).toFixed(2)} cores)  output ${r.outputMb.toFixed(1)} MB`;
  console.log(
    `input ${path.basename(input)}: ${mb.toFixed(1)} MB, 200 IDs, ${o.rowsAfter} rows kept; best of ${runs} runs`,
  );
  console.log(line("lethe", o));
  console.log(line("lethe, 2 workers", n));
  console.log(line("lethe, gzip 6", f));
  console.log(line("duckdb", d));
  const ratio = (r: RunResult) => (r.seconds / d.seconds).toFixed(2);
  console.log(
    `ratio lethe/duckdb (goal <= 0.6): ${ratio(o)} (defaults), ${ratio(n)} (2 workers), ${ratio(f)} (gzip level 6)`,
  );
  const cpuRatio = (r: RunResult) => (r.cpuSeconds / d.cpuSeconds).toFixed(2);
  // On a loaded machine wall time swings with other jobs; CPU seconds show the work each side does.
  console.log(`CPU ratio lethe/duckdb: ${cpuRatio(o)} (defaults), ${cpuRatio(f)} (gzip level 6)`);
  console.log(
    `output/input size (goal <= 1.02): ${(o.outputMb / mb).toFixed(3)} (defaults), ${(f.outputMb / mb).toFixed(3)} (gzip level 6)`,
  );
}

/** 200 customers that occur in the bench files (customer ids are cust-0000000 .. cust-0099999). */
function writeIds(): string {
  const ids = Array.from(
    { length: 200 },
    (_, i) => `cust-${String((i * 499 + 17) % 100_000).padStart(7, "0")}`,
  );
  const idFile = path.join(outDir, "purge-ids.json");
  fs.writeFileSync(idFile, JSON.stringify(ids));
  return idFile;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
