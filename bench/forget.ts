// Forget benchmark: a local lake (GZIP Parquet objects written by pyarrow, in the emulator) purged
// through the purge handler by N concurrent worker processes fed from the purge queue (N = 1, 2, 4),
// each worker a process of its own so its peak RSS is its own. Beside it, in the same run, the bare
// engine (purgeBytes on the same objects, in memory, one after another, no S3, no lock, no ledger).
// Prints objects/s, MB/s of input, peak RSS of one worker, and each figure's ratio to the engine's.
// Then the sparse case (a large lake's batch: a few rows per subject): objects of 8 row groups, the
// subjects' rows in one of them, purged in S3 reading only the footer, the key columns and that row
// group (the others copied server-side), against the same objects read whole: bytes read as a fraction
// of the objects' bytes (target <= 20 %) and wall time per object.
// Usage: npm run bench:forget [-- --objects 60] [-- --rows 4000] [-- --sparse-objects 2]
import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { makeDocumentClient, makeS3Client, makeSqsClient } from "../runtime/aws/clients";
import { envNames } from "../runtime/contracts/env";
import type { DataMapper } from "../runtime/contracts/mappers";
import { ForgetLedger } from "../runtime/erasure/forget";
import { writeManifest } from "../runtime/erasure/manifest";
import { keyMatcher } from "../runtime/subjects/matcher";
import { purgeBytes } from "../runtime/purge/purgeBytes";
import { purgeObject } from "../runtime/purge/objectPurge";
import { startLocalEmulator, useLocalEmulator } from "../local/emulator";
import { provisionLocalStack } from "../local/stack";
import { makePyarrowLake } from "../local/fixtures/pyarrowLake";
import { sized } from "./smoke";

const root = path.resolve(__dirname, "..");

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<{ messages: number; maxRssMb: number }>;
}

function startWorker(env: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "bench/forgetWorker.ts"], {
    cwd: root,
    env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise<{ messages: number; maxRssMb: number }>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("READY")) onReady();
      const m = /RESULT (.*)\n/.exec(out);
      if (m) resolve(JSON.parse(m[1]));
    });
    child.once("exit", (code) => (code ? reject(new Error(`worker exited with ${code}`)) : undefined));
  });
  return { child, ready, result };
}

async function main(): Promise<void> {
  const objects = arg("objects", sized(60, 3));
  const rows = arg("rows", sized(4000, 200));
  const emulator = await startLocalEmulator();
  useLocalEmulator(emulator.endpoint);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-bench-forget-"));
  try {
    const { stack } = await provisionLocalStack();
    const s3 = makeS3Client();
    const sqs = makeSqsClient();
    const ledger = new ForgetLedger(makeDocumentClient(), stack.ledgerTable);
    const files = makePyarrowLake(dir, objects, rows, 400, 11);
    const sizes = files.map((f) => fs.statSync(f).size);
    const totalMb = sizes.reduce((a, b) => a + b, 0) / 1e6;
    const subjects = Array.from({ length: 20 }, (_, i) => `cust-${String(i * 7).padStart(4, "0")}`);
    const manifest = await writeManifest(s3, {
      bucket: stack.lakeBucket,
      batchId: `bench-${process.pid}`,
      keys: subjects.map((s) => [s]),
      kmsKeyArn: stack.kmsKeyArn,
    });
    console.log(
      `lake: ${objects} objects x ${rows} rows (${totalMb.toFixed(1)} MB GZIP Parquet by pyarrow), ` +
        `${subjects.length} subjects to forget; machine: ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`,
    );

    // The engine alone, in this process: the reference figure.
    const matcher = keyMatcher(["customer_id"], subjects);
    let t = performance.now();
    for (const f of files)
      await purgeBytes(fs.readFileSync(f), { name: "events", format: "parquet" }, matcher, { workers: 0 });
    const engineSeconds = (performance.now() - t) / 1000;
    const engine = { objectsPerSecond: objects / engineSeconds, mbPerSecond: totalMb / engineSeconds };
    console.log(
      `engine (purgeBytes, in memory, one at a time): ${engine.objectsPerSecond.toFixed(1)} objects/s, ` +
        `${engine.mbPerSecond.toFixed(2)} MB/s`,
    );

    for (const n of sized([1, 2, 4], [1])) {
      const prefix = `events/run-${n}/`;
      const mapper: DataMapper = {
        name: "events",
        glueDatabase: "lethe",
        glueTable: "events",
        location: `s3://${stack.lakeBucket}/${prefix}`,
        idColumns: ["customer_id"],
        format: "parquet",
        partitionColumns: [],
      };
      const keys = files.map((f) => `${prefix}${path.basename(f)}`);
      for (let i = 0; i < keys.length; i += 8) {
        await Promise.all(
          keys
            .slice(i, i + 8)
            .map((Key, j) =>
              s3.send(
                new PutObjectCommand({ Bucket: stack.lakeBucket, Key, Body: fs.readFileSync(files[i + j]) }),
              ),
            ),
        );
      }
      const env = {
        ...process.env,
        POWERTOOLS_LOG_LEVEL: "SILENT",
        POWERTOOLS_METRICS_DISABLED: "true",
        [envNames.dataMappers]: JSON.stringify([mapper]),
        [envNames.locksTable]: stack.locksTable,
        [envNames.ledgerTable]: stack.ledgerTable,
        [envNames.indexTable]: stack.indexTable,
        [envNames.purgeQueueUrl]: stack.purgeQueueUrl,
        [envNames.purgeDeadLetterQueueUrl]: stack.purgeDeadLetterQueueUrl,
        [envNames.purgeLockWaitSeconds]: "60",
        [envNames.purgeWorkReserveSeconds]: "60",
      };
      const workers = Array.from({ length: n }, () => startWorker(env));
      await Promise.all(workers.map((w) => w.ready));
      const batchId = `bench-${n}`;
      t = performance.now();
      for (let i = 0; i < keys.length; i += 10) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: stack.purgeQueueUrl,
            Entries: keys.slice(i, i + 10).map((key, j) => ({
              Id: String(j),
              MessageBody: JSON.stringify({
                batchId,
                mapper: "events",
                object: { bucket: stack.lakeBucket, key, versionIds: [] },
                manifest,
              }),
            })),
          }),
        );
      }
      let summary;
      for (;;) {
        const s = (summary = await ledger.summary(batchId));
        if (s.objectsPurged + s.objectsNothingToDo + s.objectsFailed >= objects) {
          if (s.objectsFailed) console.log(`  (${s.objectsFailed} object(s) failed)`);
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      const seconds = (performance.now() - t) / 1000;
      for (const w of workers) w.child.stdin!.end();
      const results = await Promise.all(workers.map((w) => w.result));
      const perSecond = objects / seconds;
      const mbPerSecond = totalMb / seconds;
      console.log(
        `${n} worker(s): ${perSecond.toFixed(1)} objects/s, ${mbPerSecond.toFixed(2)} MB/s ` +
          `(x${(perSecond / engine.objectsPerSecond).toFixed(2)} the engine alone), ${seconds.toFixed(1)} s; ` +
          `peak RSS of one worker ${Math.max(...results.map((r) => r.maxRssMb)).toFixed(0)} MB; ` +
          `messages per worker ${results.map((r) => r.messages).join("/")}; bytes read by forget ` +
          `${((100 * summary.bytesRead) / Math.max(1, summary.bytesIn)).toFixed(1)} % of the rewritten objects' bytes`,
      );
    }
    await sparseCase(s3, stack.lakeBucket, dir, arg("sparse-objects", sized(2, 1)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await emulator.stop();
  }
}

/** The sparse case (see the file comment), with the bytes read and the time per object. */
async function sparseCase(s3: S3Client, bucket: string, dir: string, objects: number): Promise<void> {
  const made = JSON.parse(
    execFileSync(path.join(root, ".venv", "bin", "python"), [
      path.join(root, "bench", "make_sparse_lake.py"),
      dir,
      String(objects),
    ]).toString(),
  ) as { file: string; subjects: string[] }[];
  const mapper = { name: "events", format: "parquet" } as const;
  const subjects = made.flatMap((m) => m.subjects.map((s) => [s]));
  const totalMb = made.reduce((n, m) => n + fs.statSync(m.file).size, 0) / 1e6;
  console.log(
    `sparse: ${objects} object(s) of 8 row groups (${(totalMb / objects).toFixed(1)} MB GZIP each), ` +
      `${subjects.length} subjects, each object's in one row group`,
  );
  for (const [label, multipartFromBytes] of [
    ["row groups with matches only, the rest copied server-side", undefined],
    ["read whole (one PUT)", Number.POSITIVE_INFINITY],
  ] as const) {
    let read = 0;
    let size = 0;
    let removed = 0;
    const t = performance.now();
    for (const m of made) {
      const key = `sparse/${label.length}/${path.basename(m.file)}`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(m.file) }));
      const r = await purgeObject(s3, {
        bucket,
        key,
        mapper,
        matcher: keyMatcher(["customer_id"], subjects),
        options: { workers: 0, multipartFromBytes },
      });
      read += r.bytesRead;
      size += r.bytesIn;
      removed += r.rowsRemoved;
    }
    const seconds = (performance.now() - t) / 1000;
    console.log(
      `  ${label}: bytes read ${((100 * read) / size).toFixed(1)} % of the objects' bytes ` +
        `(target <= 20 %), ${(seconds / objects).toFixed(2)} s per object (upload included), ${removed} rows removed`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
