// Erasure benchmark: `lethe erase --wait` as an operator runs it locally, for 200 IDs over a generated
// lake of at least 1 GB (30 daily partitions; bench/make_find_lake.py, cached like bench:find's) in
// the stack's own lake bucket. The request and batch functions, the state machine in the in-process
// interpreter, find on the embedded engine, the purge queue drained by the packaged purge function:
// the same path as the end-to-end tests. Prints seconds per step (from the batch record's steps) and
// in total, objects rewritten, bytes scanned by find, and the fraction of the lake find read.
// Usage: npm run bench:erasure [-- --gb 1 --ids 200 --drain-seconds 1]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeDocumentClient, makeS3Client } from "../runtime/aws/clients";
import { getBatch } from "../runtime/erasure/batches";
import { ForgetLedger } from "../runtime/erasure/forget/ledger";
import { startLocalEmulator, useLocalEmulator } from "../local/emulator";
import { erase } from "../cli/work/erasureCommands";
import { provisionLocalStack } from "../local/stack";
import { uploadTree } from "../local/fixtures/lakeTree";
import { findLakeDir } from "./findLake";
import { stepProgress } from "../local/progress";
import { sized } from "./smoke";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const gb = arg("gb", sized(1, 0.002));
const idCount = arg("ids", sized(200, 3));
const drainSeconds = arg("drain-seconds", 1);

function treeBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? treeBytes(p) : fs.statSync(p).size;
  }
  return n;
}

const seconds = (from?: string, to?: string) =>
  from && to ? ((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1) : "-";

async function main(): Promise<void> {
  const dir = findLakeDir(gb);
  const lakeBytes = treeBytes(path.join(dir, "events"));
  const emulator = await startLocalEmulator();
  useLocalEmulator(emulator.endpoint);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-bench-erasure-"));
  try {
    const stack = (await provisionLocalStack()).stack;
    const outputsFile = path.join(work, "local.json");
    fs.writeFileSync(outputsFile, JSON.stringify(stack));
    const s3 = makeS3Client();
    let t = Date.now();
    const bars = stepProgress("bench:erasure", { plainIntervalMs: 2000 });
    const keys = await uploadTree(s3, path.join(dir, "events"), stack.lakeBucket, "events/", (done, total) =>
      bars.at("upload", done, total, "objects"),
    );
    bars.done();
    process.stderr.write(
      `uploaded ${keys.length} objects (${(lakeBytes / 1024 ** 2).toFixed(0)} MB) in ${((Date.now() - t) / 1000).toFixed(1)} s\n`,
    );
    // The same spread as bench:find: IDs drawn across the customer range, so they land in many objects.
    const ids = Array.from(
      { length: idCount },
      (_, i) => `c${String((i * 997 + 13) % 200_000).padStart(6, "0")}`,
    );
    t = Date.now();
    const result = await erase(
      { ids, reason: "bench", requestedBy: "bench:erasure", wait: true },
      {
        stackOutputsFile: outputsFile,
        drainSeconds,
        progress: (line) => {
          bars.done();
          process.stderr.write(`  ${line}\n`);
        },
        onStep: (step) => bars.at(`erase ${step.step}`, step.done, step.total, step.text),
      },
    ).finally(() => bars.done());
    const totalSeconds = (Date.now() - t) / 1000;
    const batchId = String(result.batch?.batchId ?? "");
    const doc = makeDocumentClient();
    const batch = await getBatch(
      { doc, ledgerTable: stack.ledgerTable, requestsTable: stack.requestsTable },
      batchId,
    );
    const summary = await new ForgetLedger(doc, stack.ledgerTable).summary(batchId);
    const steps = batch?.steps ?? {};
    const find = steps.find?.counts ?? {};
    const bytesScanned = Number(find.bytesScanned ?? 0);
    const lines = [
      `lake: ${keys.length} objects, ${(lakeBytes / 1024 ** 2).toFixed(1)} MB in 30 daily partitions; ${ids.length} IDs in one request`,
      `state: ${String(result.status?.state ?? batch?.status)} (exit ${result.ok ? 0 : 1})`,
      ...["find", "forget", "verify", "report"].map(
        (s) => `  ${s.padEnd(7)} ${seconds(steps[s]?.startedAt, steps[s]?.endedAt).padStart(7)} s`,
      ),
      `  total   ${totalSeconds.toFixed(1).padStart(7)} s (request to report, drain ${drainSeconds} s included)`,
      `objects rewritten: ${summary.objectsPurged} (nothing to do: ${summary.objectsNothingToDo}, failed: ${summary.objectsFailed}); ` +
        `rows removed: ${summary.rowsRemoved}; versions deleted: ${summary.versionsDeleted}`,
      `find: ${(bytesScanned / 1024 ** 2).toFixed(1)} MB scanned, ${((100 * bytesScanned) / lakeBytes).toFixed(2)} % of the lake; ` +
        `purge rewrote objects of ${(summary.bytesIn / 1024 ** 2).toFixed(1)} MB (${((100 * summary.bytesIn) / lakeBytes).toFixed(1)} % of the lake) ` +
        `and read ${(summary.bytesRead / 1024 ** 2).toFixed(1)} MB of them (${((100 * summary.bytesRead) / Math.max(1, summary.bytesIn)).toFixed(1)} %)`,
      `goal: the whole erasure within 60 s: ${totalSeconds <= 60 ? "met" : "missed"}`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
    if (!result.ok) process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await emulator.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
