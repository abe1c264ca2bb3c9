// Forget at lake scale against moto, through the purge handler as Lambda would run it: a lake of 200
// objects written by pyarrow purged by concurrent invocations fed from the purge queue; two
// overlapping batches on the same objects run concurrently, many times; crashes injected at random
// points then a re-run. Every version of every object is read back with pyarrow: no subject of any
// batch in any version, and every other row of every object still there.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { makeDocumentClient, makeSqsClient } from "../../runtime/aws/clients";
import { ForgetLedger, ForgetServiceDeps, forgetObject } from "../../runtime/erasure/forget";
import { createPurgeHandler } from "../../runtime/handlers/purge";
import { makePyarrowLake, pyarrowView } from "../../local/fixtures/pyarrowLake";
import { pollQueue } from "../../local/queuePoller";
import {
  HandlerStack,
  TestLake,
  createTestLake,
  downloadVersions,
  handlerStack,
  lakeMutex,
  purgeMessage,
  putLakeObject,
  putManifest,
  survivingSubjects,
} from "./forgetFixtures";

/** Runs `fn` over `items` with at most `limit` at once. */
async function inParallel<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const customer = (i: number) => `cust-${String(i).padStart(4, "0")}`;

describe("forget: a lake purged by concurrent workers (moto, pyarrow)", function () {
  this.timeout(1_200_000);
  let lake: TestLake;
  let h: HandlerStack;
  let files: string[];
  const doc = makeDocumentClient();
  const quiet = { POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" };

  before(async () => {
    Object.assign(process.env, quiet);
    lake = await createTestLake();
    h = await handlerStack(lake);
    files = makePyarrowLake(lake.dir, 200, 60, 50, 7);
  });
  after(() => {
    for (const name of Object.keys(quiet)) delete process.env[name];
    fs.rmSync(lake.dir, { recursive: true, force: true });
  });

  it("purges 200 pyarrow objects from the purge queue with 4 concurrent invocations, every other row kept", async () => {
    const batch = randomUUID();
    const subjects = [0, 1, 2, 3, 4].map(customer);
    const keys = files.map((f) => `events/dt=2026-11-30/${path.basename(f)}`);
    await inParallel(keys, 16, (k, i) => putLakeObject(lake, k, fs.readFileSync(files[i])));
    const manifest = await putManifest(lake, subjects);
    const sqs = makeSqsClient();
    for (let i = 0; i < keys.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: h.stack.purgeQueueUrl,
          Entries: keys.slice(i, i + 10).map((k, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify(purgeMessage(lake, batch, k, manifest)),
          })),
        }),
      );
    }
    const started = Date.now();
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() =>
        pollQueue(sqs, h.stack.purgeQueueUrl, createPurgeHandler(h.env), { batchSize: 2 }),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(runs.reduce((n, r) => n + r.messages, 0)).to.equal(200);
    expect(runs.every((r) => r.invocations > 0)).to.equal(true); // all four took part
    expect(runs.reduce((n, r) => n + r.failures, 0)).to.equal(0);

    const summary = await new ForgetLedger(doc, h.stack.ledgerTable).summary(batch);
    expect(summary.objectsPurged + summary.objectsNothingToDo).to.equal(200);
    expect(summary.objectsFailed).to.equal(0);
    expect(summary.objectsPurged).to.be.greaterThan(150);

    const current: string[] = [];
    await inParallel(keys, 16, async (k, i) => {
      const versions = await downloadVersions(lake, k);
      expect(versions, k).to.have.length(1);
      current[i] = versions[0].file!;
    });
    const view = pyarrowView(
      current,
      current.map((purged, i) => ({ original: files[i], purged, ids: subjects })),
    );
    for (const file of current) for (const s of subjects) expect(view.keys[file]).to.not.include(s);
    expect(view.survivors.flatMap((s) => s.problems)).to.deep.equal([]);
    const rowsLeft = view.survivors.reduce((n, s) => n + s.rows, 0);
    expect(rowsLeft).to.equal(200 * 60 - summary.rowsRemoved);
    console.log(
      `      (200 objects in ${seconds.toFixed(1)} s on a loaded machine, ${summary.rowsRemoved} rows removed)`,
    );
  });

  const overlapRuns = Number(process.env.LETHE_FORGET_OVERLAP_RUNS ?? 12);
  it(`two overlapping batches on the same objects, run concurrently ${overlapRuns} times, leave no subject of either`, async () => {
    const batchA = [0, 1, 2, 3, 4, 5].map(customer);
    const batchB = [4, 5, 6, 7, 8, 9].map(customer);
    const mA = await putManifest(lake, batchA);
    const mB = await putManifest(lake, batchB);
    const ledger = new ForgetLedger(doc, h.stack.ledgerTable);
    const depsFor = (name: string): ForgetServiceDeps => ({
      s3: lake.s3,
      mutex: lakeMutex(lake, name),
      mappers: [lake.mapper],
      ledger,
    });
    const failures: string[] = [];
    const retried: string[] = [];
    await inParallel(
      Array.from({ length: overlapRuns }, (_, r) => r),
      3,
      async (run) => {
        const keys = [0, 1, 2, 3].map((i) => `events/dt=2026-11-29/run-${run}-${i}-${randomUUID()}.parquet`);
        await Promise.all(
          keys.map((k, i) => putLakeObject(lake, k, fs.readFileSync(files[(run * 4 + i) % files.length]))),
        );
        const a = randomUUID();
        const b = randomUUID();
        // As the queue would: a message answered "retry" (lock busy, lost lease, conflict) comes back.
        const purgeUntilDone = async (batch: string, k: string, manifest: typeof mA, worker: string) => {
          for (let attempt = 0; attempt < 10; attempt++) {
            const out = await forgetObject(purgeMessage(lake, batch, k, manifest), depsFor(worker));
            if (out.outcome !== "retry") return out.outcome;
            retried.push(out.error.kind);
          }
          return "gave up";
        };
        const outcomes = await Promise.all(
          keys.flatMap((k, i) => [
            purgeUntilDone(a, k, mA, `a-${run}-${i}`),
            purgeUntilDone(b, k, mB, `b-${run}-${i}`),
          ]),
        );
        const notDone = outcomes.filter((o) => o !== "purged" && o !== "nothing-to-do");
        if (notDone.length) failures.push(`run ${run}: ${notDone.join(", ")}`);
        const left = await survivingSubjects(lake, keys, [...batchA, ...batchB]);
        if (Object.keys(left).length)
          failures.push(`run ${run}: subjects left in ${Object.keys(left).length} object(s)`);
        for (const batch of [a, b]) {
          const s = await ledger.summary(batch);
          if (s.objectsPurged + s.objectsNothingToDo !== 4)
            failures.push(`run ${run}: batch ledger ${JSON.stringify(s)}`);
        }
      },
    );
    expect(failures).to.deep.equal([]);
    if (retried.length)
      console.log(`      (${retried.length} purge(s) answered "retry": ${[...new Set(retried)].join(", ")})`);
  });

  it("converges after crashes injected at random points, then a re-run", async () => {
    const subjects = [10, 11, 12, 13].map(customer);
    const manifest = await putManifest(lake, subjects);
    const ledger = new ForgetLedger(doc, h.stack.ledgerTable);
    let seed = 42;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const crashes: string[] = [];
    const maybeCrash = (point: string) => async () => {
      if (random() < 0.35) {
        crashes.push(point);
        throw new Error(`injected crash at ${point}`);
      }
    };
    const batch = randomUUID();
    const keys = [0, 1, 2, 3, 4, 5].map((i) => `events/dt=2026-11-28/crash-${i}-${randomUUID()}.parquet`);
    const latest: string[] = [];
    for (const [i, k] of keys.entries()) {
      for (let v = 0; v < 3; v++)
        await putLakeObject(lake, k, fs.readFileSync(files[(i * 3 + v) % files.length]));
      latest.push(files[(i * 3 + 2) % files.length]);
    }
    const deps = (): ForgetServiceDeps => ({
      s3: lake.s3,
      mutex: lakeMutex(lake, `crash-${randomUUID().slice(0, 6)}`),
      mappers: [lake.mapper],
      ledger,
      hooks: {
        beforeWrite: maybeCrash("before write"),
        afterWrite: maybeCrash("after write"),
        beforeDelete: maybeCrash("before delete"),
        afterDelete: maybeCrash("after delete"),
      },
    });
    for (const k of keys) {
      for (let attempt = 0; ; attempt++) {
        expect(attempt, k).to.be.below(40);
        const out = await forgetObject(purgeMessage(lake, batch, k, manifest), deps()).catch(() => undefined);
        if (out && ["purged", "nothing-to-do", "already-done"].includes(out.outcome)) break;
      }
    }
    expect(crashes.length).to.be.greaterThan(3);
    expect(await survivingSubjects(lake, keys, subjects)).to.deep.equal({});
    const summary = await ledger.summary(batch);
    expect(summary.objectsPurged + summary.objectsNothingToDo).to.equal(keys.length);
    // The current version of each object is its last version before the purge, without the subjects' rows.
    const current = await Promise.all(
      keys.map(async (k) => {
        const o = await lake.s3.send(new GetObjectCommand({ Bucket: lake.bucket, Key: k }));
        const file = path.join(lake.dir, `current-${randomUUID()}.parquet`);
        fs.writeFileSync(file, await o.Body!.transformToByteArray());
        return file;
      }),
    );
    const view = pyarrowView(
      [],
      current.map((purged, i) => ({ original: latest[i], purged, ids: subjects })),
    );
    expect(view.survivors.flatMap((s) => s.problems)).to.deep.equal([]);
  });
});
