// Find benchmark: a generated local lake of at least 1 GB in 30 daily partitions, held by the local
// emulator, and a batch of 200 IDs. The embedded engine (DuckDB over sparse copies of the ID column)
// beside a brute-force scan of every object (the purge engine's scan) in the same run: objects found,
// bytes read, the fraction of the lake's bytes read, seconds.
// The lake is generated once into a cache dir (LETHE_BENCH_CACHE, default ~/.cache/lethe), not git.
// Usage: npm run bench:find [-- --gb 1]
// With `--subjects N [--batch-size M]`: find and verify of batches of N subjects (bench/findSubjects.ts).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeS3Client } from "../runtime/aws/clients";
import { DataMapper } from "../runtime/contracts/mappers";
import { writeManifest } from "../runtime/erasure/manifest";
import { duckDbFinder } from "../runtime/erasure/find/duckdbFinder";
import { startLocalEmulator, useLocalEmulator } from "../local/emulator";
import { provisionLocalStack } from "../local/stack";
import { createBucketLike } from "../local/stack/copies";
import { bruteForceFind, uploadTree } from "../local/fixtures/lakeTree";
import { findLakeDir } from "./findLake";
import { stepProgress } from "../local/progress";
import { sized } from "./smoke";
import { subjectsBench } from "./findSubjects";

const gbArg = process.argv.indexOf("--gb");
const gb = gbArg > 0 ? Number(process.argv[gbArg + 1]) : sized(1, 0.002);

function numberArg(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const n = Number(process.argv[at + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a whole number above 0`);
  return n;
}

async function main(): Promise<void> {
  const dir = findLakeDir(gb);
  const emulator = await startLocalEmulator();
  useLocalEmulator(emulator.endpoint);
  try {
    const s3 = makeS3Client();
    const stack = (await provisionLocalStack()).stack;
    const bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-bench`, stack.kmsKeyArn);
    let t = Date.now();
    const uploading = stepProgress("bench:find", { plainIntervalMs: 2000 });
    const keys = await uploadTree(s3, path.join(dir, "events"), bucket, "events/", (done, total) =>
      uploading.at("upload", done, total, "objects"),
    );
    uploading.done();
    process.stderr.write(`uploaded ${keys.length} objects in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    const mapper: DataMapper = {
      name: "events",
      glueDatabase: "bench",
      glueTable: "events",
      location: `s3://${bucket}/events/`,
      idColumns: ["customer_id"],
      format: "parquet",
      partitionColumns: ["dt"],
    };
    const ids = Array.from({ length: 200 }, (_, i) => [
      `c${String((i * 997 + 13) % 200_000).padStart(6, "0")}`,
    ]);
    const manifest = await writeManifest(s3, {
      bucket: stack.lakeBucket,
      batchId: "bench",
      keys: ids,
      kmsKeyArn: stack.kmsKeyArn,
    });
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-bench-find-"));
    try {
      t = Date.now();
      const found = await duckDbFinder({ s3 }, { cacheDir }).findObjects(mapper, manifest);
      const findSeconds = (Date.now() - t) / 1000;
      t = Date.now();
      const brute = await bruteForceFind(s3, mapper, ids);
      const bruteSeconds = (Date.now() - t) / 1000;
      const same = JSON.stringify(found.paths) === JSON.stringify(brute.paths);
      const mb = (b: number) => (b / 1024 ** 2).toFixed(1);
      const lines = [
        `lake: ${keys.length} objects, ${mb(brute.lakeBytes)} MB in 30 daily partitions; batch of ${ids.length} IDs`,
        `find (DuckDB, ID column only): ${found.paths.length} objects found, ${mb(found.bytesScanned)} MB read ` +
          `(${((100 * found.bytesScanned) / brute.lakeBytes).toFixed(2)} % of the lake), ${findSeconds.toFixed(1)} s`,
        `brute-force scan:              ${brute.paths.length} objects found, ${mb(brute.bytesRead)} MB read ` +
          `(${((100 * brute.bytesRead) / brute.lakeBytes).toFixed(2)} %), ${bruteSeconds.toFixed(1)} s`,
        `same objects: ${same ? "yes" : "NO"}; find/scan time ratio ${(findSeconds / bruteSeconds).toFixed(3)}; ` +
          `bytes ratio ${(found.bytesScanned / brute.bytesRead).toFixed(4)}`,
      ];
      process.stdout.write(lines.join("\n") + "\n");
      if (!same) process.exitCode = 1;
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  } finally {
    await emulator.stop();
  }
}

const subjects = numberArg("--subjects");
(subjects
  ? subjectsBench({ subjects, batchSize: numberArg("--batch-size") ?? Math.min(subjects, 10_000), gb })
  : main()
).catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
