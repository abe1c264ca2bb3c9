// The erasure workflow end to end against the emulator, as `lethe erase --wait` runs it locally: the
// program's definition in the in-process interpreter (local/erasure), every task the packaged
// handler of its function, find on the embedded engine, the purge queue drained by the packaged purge
// function. The lake is pyarrow-written (INT96 timestamps, GZIP, as Firehose writes it), and pyarrow
// reads every version of every object afterwards.
import { expect } from "chai";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { CopyObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { BatchRecord, getBatch } from "../../runtime/erasure/batches";
import { decideApproval } from "../../runtime/erasure/approval";
import { startLocalBatch, LocalBatchOptions } from "../../local/erasure";
import { sharedLocalStack } from "../support/localStack";
import {
  everyItem,
  LakeObject,
  makeBatch,
  pyarrowCheck,
  tablesOf,
  tempDir,
  versionFiles,
  writeLake,
} from "./workflowFixtures";

const today = new Date().toISOString().slice(0, 10);
const days = Array.from({ length: 8 }, (_, i) =>
  new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10),
);

describe("erasure workflow: a batch run locally end to end (emulator, packaged functions)", function () {
  this.timeout(600_000);
  let stack: LocalStack;
  let lake: LakeObject[];
  let dir: string;
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const used = new Set<string>();
  /** Every ID an earlier test erased (their rows are gone from the shared lake's objects too). */
  const erased = new Set<string>();
  let options: LocalBatchOptions;

  before(async () => {
    stack = await sharedLocalStack();
    dir = tempDir();
    lake = await writeLake(s3, stack.lakeBucket, dir, {
      days,
      perDay: 30,
      rows: 100,
      customers: 20_000,
      seed: 7,
      prefix: `wf-${Date.now()}`,
    });
    options = {
      drainSeconds: 1,
      ledgerPollSeconds: 1,
      batchPollMs: 200,
      findCacheDir: path.join(dir, "find-cache"),
    };
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  /** `n` subjects present in the lake no earlier test took, drawn from `from` objects (all by default). */
  function subjects(n: number, from: LakeObject[] = lake): string[] {
    const out: string[] = [];
    for (const o of from) {
      for (const id of o.ids) {
        if (out.length >= n) return out;
        if (!used.has(id)) {
          used.add(id);
          out.push(id);
        }
      }
    }
    return out;
  }

  async function waitForStatus(batchId: string, status: string, ms = 120_000): Promise<BatchRecord> {
    const until = Date.now() + ms;
    for (;;) {
      const b = await getBatch(tablesOf(stack, doc), batchId);
      if (b?.status === status) return b;
      if (Date.now() > until) throw new Error(`batch ${batchId} never became ${status} (is ${b?.status})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * pyarrow over every version of every lake object holding any of `ids` at first: none of their rows,
   * and every other row of the original but those of the IDs erased so far (the lake is shared by the
   * tests; `late` objects were written from an original during their own batch only).
   */
  async function expectErased(ids: string[], late: LakeObject[] = []) {
    ids.forEach((id) => erased.add(id));
    const holding = [...lake, ...late].filter((o) => ids.some((id) => o.ids.has(id)));
    expect(holding.length).to.be.greaterThan(0);
    const files: { path: string; original: string; removed?: string[] }[] = [];
    for (const o of holding) {
      for (const f of await versionFiles(s3, stack.lakeBucket, o.key, dir))
        files.push({ path: f, original: o.file, ...(late.includes(o) ? { removed: ids } : {}) });
    }
    const checked = pyarrowCheck(ids, files, [...erased]);
    expect(
      checked.reduce((n, c) => n + c.matching, 0),
      "rows of the subjects left",
    ).to.equal(0);
    expect(
      checked.flatMap((c) => c.problems),
      "other rows changed",
    ).to.deep.equal([]);
    return holding;
  }

  /** A document client whose calls after its first wait 1.5 s each (many batch polls). */
  function slowAfterFirstWrite() {
    const slow = makeDocumentClient();
    let calls = 0;
    slow.middlewareStack.add(
      (next) => async (args) => {
        if (calls++ > 0) await new Promise((r) => setTimeout(r, 1500));
        return next(args);
      },
      { step: "initialize", name: "slowAfterFirstWrite" },
    );
    return slow;
  }

  async function expectNoRawId(ids: string[]) {
    const items = await everyItem(stack, doc);
    const leaks = items.filter((text) => ids.some((id) => text.includes(id)));
    expect(leaks, "items holding a raw ID").to.deep.equal([]);
  }

  async function requestStatuses(requestIds: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const requestId of requestIds) {
      const r = await doc.send(
        new GetCommand({ TableName: stack.requestsTable, Key: { requestId }, ConsistentRead: true }),
      );
      out.push(String(r.Item?.status));
    }
    return out;
  }

  it("erases 50 IDs: COMPLETED, no matching row in any version, every other row intact, no raw ID in a table", async () => {
    const ids = subjects(50);
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    const started = Date.now();
    const execution = await startLocalBatch(stack, batch, options);
    const output = (await execution.result) as Record<string, unknown>;
    console.log(
      `      one batch of 50 IDs over ${lake.length} objects: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    expect(record.status).to.equal("COMPLETED");
    expect(await requestStatuses(batch.requestIds)).to.deep.equal(batch.requestIds.map(() => "COMPLETED"));
    const holding = await expectErased(ids);
    expect(record.steps?.find?.counts?.objects).to.equal(holding.length);
    expect(record.steps?.forget?.counts).to.include({ objectsPurged: holding.length, objectsFailed: 0 });
    expect(record.steps?.verify?.counts).to.include({ remainingRows: 0, rounds: 1, hits: 0 });
    expect(record.steps?.verify?.counts?.versionsChecked).to.be.at.least(holding.length);
    await expectNoRawId(ids);
    expect(ids.filter((id) => JSON.stringify(output).includes(id))).to.deep.equal([]);
    // The embedded engine's copies of the ID columns (taken before the purge) went with the batch.
    const cached = fs.existsSync(options.findCacheDir!)
      ? fs
          .readdirSync(options.findCacheDir!, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
      : [];
    expect(
      cached.map((e) => e.name),
      "find cache files left",
    ).to.deep.equal([]);
  });

  it("waits for approval when it is on, and goes on when it is given from outside the runner", async () => {
    const ids = subjects(10);
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    const execution = await startLocalBatch(stack, batch, { ...options, approvalRequired: true });
    const waiting = await waitForStatus(batch.batchId, "AWAITING_APPROVAL");
    expect(waiting.approval?.taskToken).to.be.a("string");
    await decideApproval(
      { ...tablesOf(stack, doc), resume: async () => undefined },
      { batchId: batch.batchId, decision: "approve", by: "a test" },
    );
    await execution.result;
    expect((await getBatch(tablesOf(stack, doc), batch.batchId))!.status).to.equal("COMPLETED");
    await expectErased(ids);
  });

  it("ends the requests REJECTED when the approver rejects, with nothing purged", async () => {
    const ids = subjects(10);
    const holding = lake.filter((o) => ids.some((id) => o.ids.has(id)));
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    const execution = await startLocalBatch(stack, batch, { ...options, approvalRequired: true });
    await waitForStatus(batch.batchId, "AWAITING_APPROVAL");
    // The approval function records the decision, then moves the batch: slowly here, so a runner that
    // went on at the decision alone would report a batch not yet REJECTED.
    await decideApproval(
      { ...tablesOf(stack, slowAfterFirstWrite()), resume: async () => undefined },
      { batchId: batch.batchId, decision: "reject", by: "a test", reason: "not this week" },
    );
    await execution.result;
    const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    expect(record.status).to.equal("REJECTED");
    expect(record.reason).to.match(/not this week/);
    expect(await requestStatuses(batch.requestIds)).to.deep.equal(batch.requestIds.map(() => "REJECTED"));
    for (const o of holding) expect(await versionFiles(s3, stack.lakeBucket, o.key, dir)).to.have.length(1);
  });

  it("completes two overlapping batches run at the same time", async () => {
    // Subjects of the same objects, split between the two batches.
    const shared = lake.filter((o) => [...o.ids].filter((id) => !used.has(id)).length >= 4).slice(0, 12);
    const a: string[] = [];
    const b: string[] = [];
    for (const o of shared) {
      const free = [...o.ids].filter((id) => !used.has(id)).slice(0, 4);
      free.forEach((id, i) => (used.add(id), (i % 2 ? b : a).push(id)));
    }
    const [ba, bb] = [
      await makeBatch(stack, s3, tablesOf(stack, doc), a),
      await makeBatch(stack, s3, tablesOf(stack, doc), b),
    ];
    const [ea, eb] = await Promise.all([
      startLocalBatch(stack, ba, options),
      startLocalBatch(stack, bb, options),
    ]);
    await Promise.all([ea.result, eb.result]);
    for (const id of [ba.batchId, bb.batchId])
      expect((await getBatch(tablesOf(stack, doc), id))!.status).to.equal("COMPLETED");
    await expectErased([...a, ...b]);
  });

  it("finds in verify, and purges in round 2, objects holding a subject written while the erasure runs, in old partitions too", async () => {
    const ids = subjects(5);
    const source = lake.find((o) => o.ids.has(ids[0]))!;
    const stamp = Date.now();
    // Late records land in today's partition, and in yesterday's (Firehose names a partition by its
    // buffer's oldest record: a buffer that straddled midnight lands there after find ran); a writer
    // racing the purge copies a late object into a partition a week old.
    const lateObject = (key: string): LakeObject => ({ key, file: source.file, ids: source.ids });
    const late = [
      lateObject(`events/dt=${today}/late-${stamp}.parquet`),
      lateObject(`events/dt=${days[1]}/late-${stamp}.parquet`),
    ];
    const copy = lateObject(`events/dt=${days[6]}/copy-${stamp}.parquet`);
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    const execution = await startLocalBatch(stack, batch, { ...options, drainSeconds: 3 });
    await waitForStatus(batch.batchId, "FORGETTING", 600_000);
    for (const o of late)
      await s3.send(
        new PutObjectCommand({ Bucket: stack.lakeBucket, Key: o.key, Body: fs.readFileSync(o.file) }),
      );
    await s3.send(
      new CopyObjectCommand({
        Bucket: stack.lakeBucket,
        Key: copy.key,
        CopySource: `${stack.lakeBucket}/${late[1].key}`,
      }),
    );
    await execution.result;
    const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    expect(record.status).to.equal("COMPLETED");
    expect(record.steps?.verify?.counts).to.include({ rounds: 2, remainingRows: 0 });
    expect(Object.keys(record.forgetRounds ?? {})).to.deep.equal(["0", "1"]);
    expect(record.forgetRounds?.["1"]?.objects).to.equal(3);
    await expectErased(ids, [...late, copy]);
  });

  it("ends NEEDS_ATTENTION, naming the engine's refusal, when an object holding a subject has a corrupt version", async () => {
    const ids = subjects(3);
    const source = lake.find((o) => o.ids.has(ids[0]))!;
    const key = `events/dt=${days[2]}/corrupt-${Date.now()}.parquet`;
    const good = fs.readFileSync(source.file);
    const corrupt = Buffer.concat([
      good.subarray(0, good.length / 2),
      Buffer.alloc(64, 7),
      good.subarray(good.length - 8),
    ]);
    await s3.send(new PutObjectCommand({ Bucket: stack.lakeBucket, Key: key, Body: corrupt }));
    await s3.send(new PutObjectCommand({ Bucket: stack.lakeBucket, Key: key, Body: good }));
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    const execution = await startLocalBatch(stack, batch, options);
    await execution.result.catch(() => undefined);
    const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    expect(record.status).to.equal("NEEDS_ATTENTION");
    expect(record.reason)
      .to.match(/engine-refused/)
      .and.to.include(key);
    expect(await requestStatuses(batch.requestIds)).to.deep.equal(
      batch.requestIds.map(() => "NEEDS_ATTENTION"),
    );
    // Nothing lost: both versions of the refused object are still there.
    expect(await versionFiles(s3, stack.lakeBucket, key, dir)).to.have.length(2);
    await expectNoRawId(ids);
  });

  it("ends NEEDS_ATTENTION, naming the throttling, when the purge queue keeps throttling", async () => {
    const ids = subjects(3);
    const holding = lake.filter((o) => ids.some((id) => o.ids.has(id)));
    const proxy = await throttlingProxy(stack.endpoint, "AmazonSQS.SendMessageBatch");
    try {
      const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
      const execution = await startLocalBatch(stack, batch, {
        ...options,
        env: { AWS_ENDPOINT_URL: proxy.url },
      });
      await execution.result.catch(() => undefined);
      const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
      expect(record.status).to.equal("NEEDS_ATTENTION");
      expect(record.reason).to.match(/ThrottlingException/);
      expect(proxy.throttled()).to.be.greaterThan(0);
      expect(await requestStatuses(batch.requestIds)).to.deep.equal(
        batch.requestIds.map(() => "NEEDS_ATTENTION"),
      );
      // Nothing lost, nothing half-done: no object was rewritten.
      for (const o of holding) expect(await versionFiles(s3, stack.lakeBucket, o.key, dir)).to.have.length(1);
    } finally {
      await proxy.close();
    }
  });
});

/** An HTTP proxy to the emulator that answers one operation with a throttling error, every time. */
async function throttlingProxy(
  target: string,
  operation: string,
): Promise<{ url: string; throttled(): number; close(): Promise<void> }> {
  const to = new URL(target);
  let throttled = 0;
  const server = http.createServer((req, res) => {
    if (req.headers["x-amz-target"] === operation) {
      throttled++;
      req.resume();
      res.writeHead(400, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-query-error": "ThrottlingException;Sender",
      });
      res.end(JSON.stringify({ __type: "com.amazonaws.sqs#ThrottlingException", message: "Rate exceeded" }));
      return;
    }
    const upstream = http.request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    throttled: () => throttled,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
