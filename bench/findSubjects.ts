// `npm run bench:find -- --subjects N [--batch-size M] [--gb G]`: find and verify of large batches, as
// the workflow's tasks run them on a local stack (runtime/erasure/workflow/tasks/find.ts and verify.ts:
// the embedded engine joined with the batch's manifest, the index metastore looked up per distinct
// subject in bounded parallel), on the bench lake indexed by the backfill. N subjects are split into
// batches of M (default 10,000, lethe:batchMaxSubjects' default); each batch's find and verify are timed
// apart, beside the targets (10,000 subjects: find and verify each within 60 s; a batch of a larger run
// within 5 minutes) and the deployed shape's cost: DynamoDB requests on the index (one Query per distinct
// subject, counted here) and the bytes Athena would scan (the ID column chunks the engine read plus the
// manifest, as Athena reads Parquet by column).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../runtime/aws/clients";
import { envNames } from "../runtime/contracts/env";
import { DataMapper } from "../runtime/contracts/mappers";
import { createBatch, moveBatch } from "../runtime/erasure/batches";
import { writeManifest } from "../runtime/erasure/manifest";
import { backfillMapper } from "../runtime/erasure/metastore/backfill";
import { readPlan } from "../runtime/erasure/plan";
import { loadSubjectHasher } from "../runtime/subjects/subjectHash";
import { findForBatch } from "../runtime/erasure/workflow/tasks/find";
import { parseVerifyInput, verifyBatch } from "../runtime/erasure/workflow/tasks/verify";
import { batchTablesFromEnv, findingDepsFromEnv } from "../runtime/handlers/workflowDeps";
import { startLocalEmulator, useLocalEmulator } from "../local/emulator";
import { provisionLocalStack } from "../local/stack";
import { createBucketLike } from "../local/stack/copies";
import { stackEnvironment } from "../local/erasure/environment";
import { bruteForceFind, uploadTree } from "../local/fixtures/lakeTree";
import { stepProgress } from "../local/progress";
import { findLakeDir } from "./findLake";

/** The customers the bench lake draws from (bench/make_find_lake.py CUSTOMERS). */
const lakeCustomers = 200_000;

export interface SubjectsBenchOptions {
  subjects: number;
  batchSize: number;
  gb: number;
}

/** Counts the requests a DynamoDB client sends, by command and table. */
function countRequests(doc: ReturnType<typeof makeDocumentClient>): Map<string, number> {
  const counts = new Map<string, number>();
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const table = (args.input as { TableName?: string }).TableName ?? "batch";
      const name = `${context.commandName ?? "?"} ${table}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "lethe-bench-count" },
  );
  return counts;
}

export async function subjectsBench(options: SubjectsBenchOptions): Promise<void> {
  const dir = findLakeDir(options.gb);
  const emulator = await startLocalEmulator();
  useLocalEmulator(emulator.endpoint);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-bench-find-"));
  try {
    const s3 = makeS3Client();
    const stack = (await provisionLocalStack()).stack;
    const bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-bench`, stack.kmsKeyArn);
    const progress = stepProgress("bench:find", { plainIntervalMs: 5000 });
    let t = Date.now();
    const keys = await uploadTree(s3, path.join(dir, "events"), bucket, "events/", (done, total) =>
      progress.at("upload", done, total, "objects"),
    );
    const mapper: DataMapper = {
      name: "events",
      glueDatabase: "bench",
      glueTable: "events",
      location: `s3://${bucket}/events/`,
      idColumns: ["customer_id"],
      format: "parquet",
      partitionColumns: ["dt"],
    };
    const env = {
      ...stackEnvironment(stack),
      [envNames.dataMappers]: JSON.stringify([mapper]),
      [envNames.findEngine]: "embedded",
      [envNames.findCacheDir]: cacheDir,
    };
    const deps = await findingDepsFromEnv(env)();
    const tables = batchTablesFromEnv(env, deps.doc, false);
    const hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const indexed = await backfillMapper(
      {
        s3,
        doc: makeDocumentClient(),
        indexTable: stack.indexTable,
        mappers: [mapper],
        hashSubject: (k) => hasher.hash(k),
      },
      mapper,
      { onProgress: (p) => progress.at("index", p.versions, keys.length, "objects") },
    );
    progress.done();
    const setupSeconds = (Date.now() - t) / 1000;
    const counts = countRequests(deps.doc);
    const indexQueries = () => counts.get(`QueryCommand ${stack.indexTable}`) ?? 0;

    const lines = [
      `lake: ${keys.length} objects, ${indexed.entries} index entries (uploaded and indexed in ${setupSeconds.toFixed(0)} s); ` +
        `${options.subjects} subjects in batches of ${options.batchSize}`,
    ];
    process.stdout.write(`${lines[0]}\n`);
    // The targets: a batch of 10,000 within 60 s per task; each batch of a larger run within 5 minutes.
    const target = options.subjects <= 10_000 ? 60 : 300;
    let allSame = true;
    for (let start = 0, n = 1; start < options.subjects; start += options.batchSize, n++) {
      const size = Math.min(options.batchSize, options.subjects - start);
      // Spread over the lake's customers (about a third are in some object) and past them (none are).
      const ids = Array.from({ length: size }, (_, i) => {
        const k = start + i;
        return k % 2 === 0
          ? `c${String((k * 997 + 13) % lakeCustomers).padStart(6, "0")}`
          : `x${String(k).padStart(7, "0")}`;
      });
      const batchId = `bench-${n}-${Date.now()}`;
      const manifest = await writeManifest(s3, {
        bucket: stack.lakeBucket,
        batchId,
        keys: ids.map((id) => [id]),
        kmsKeyArn: stack.kmsKeyArn,
      });
      const now = new Date();
      await createBatch(tables, {
        batchId,
        requestIds: [],
        subjectCount: size,
        manifest,
        deadline: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
        createdAt: now.toISOString(),
      });
      const queriesBefore = indexQueries();
      t = Date.now();
      const located = await findForBatch(deps, { batchId, round: 0 });
      const findSeconds = (Date.now() - t) / 1000;
      const findQueries = indexQueries() - queriesBefore;
      const plan = await readPlan(s3, located.location);
      const planned = plan.mappers.flatMap((m) => m.objects.map((o) => `s3://${o.bucket}/${o.key}`)).sort();
      const findBytes = plan.mappers.reduce((s, m) => s + m.bytesScanned, 0);
      await moveBatch(tables, batchId, "FORGETTING");
      t = Date.now();
      const verified = await verifyBatch(deps, parseVerifyInput({ batchId, round: 0, maxRounds: 3 }));
      const verifySeconds = (Date.now() - t) / 1000;
      const verifyQueries = indexQueries() - queriesBefore - findQueries;
      const brute = await bruteForceFind(
        s3,
        mapper,
        ids.map((id) => [id]),
      );
      // Nothing was forgotten: verify must find every object find planned still holding its rows.
      const same =
        JSON.stringify(planned) === JSON.stringify(brute.paths) && verified.hits === brute.paths.length;
      allSame &&= same;
      const manifestBytes = ids.reduce((s, id) => s + id.length + 10, 0);
      const mb = (b: number) => (b / 1024 ** 2).toFixed(2);
      const ok = (s: number) => (s <= target ? "ok" : "OVER");
      const line =
        `batch ${n} (${size} subjects): find ${findSeconds.toFixed(1)} s (target ${target} s: ${ok(findSeconds)}), ` +
        `verify ${verifySeconds.toFixed(1)} s (${ok(verifySeconds)}); ${planned.length} objects planned, ` +
        `${verified.hits} still holding rows; deployed shape: DynamoDB ${findQueries} + ${verifyQueries} index Queries ` +
        `(find + verify), Athena ~${mb(findBytes + manifestBytes)} MB + ${mb(verified.bytesScanned + manifestBytes)} MB ` +
        `scanned (ID column chunks + manifest); same objects: ${same ? "yes" : "NO"}`;
      lines.push(line);
      process.stdout.write(`${line}\n`);
    }
    process.stdout.write(`same objects: ${allSame ? "yes" : "NO"}\n`);
    if (!allSame) process.exitCode = 1;
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    await emulator.stop();
  }
}
