// `lethe erase|status|approve|reject|cancel`: bad input refused in one line with exit 2 before
// anything is sent (bin/lethe in a child process), and `erase --wait` against a local stack run to
// COMPLETED in process with the program's packaged functions; two operators' `erase --wait` at once,
// one's request taken into the other's batch, each followed to COMPLETED.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { getErasureRequest } from "../../runtime/erasure/request";
import { erase, cancel, requestStatusOf } from "../../cli/work/erasureCommands";
import { writeSampleLake } from "../../local/fixtures/sampleLake";
import { UsageError } from "../../runtime/contracts/errors";
import { sharedLocalStack } from "../support/localStack";
import { serveWarmStack } from "../../local/serve";
import { serveLocalLambda } from "../../local/lambda";
import { writeOutputsFile } from "../../local/stack/outputsFile";
import { outputKeyOf } from "../../local/program/packaging";
import { idsInFiles } from "../erasure/workflowFixtures";
import { readTrace } from "../../local/traceCollector";

const root = path.resolve(__dirname, "../..");

function lethe(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, "bin", "lethe"), ...args], {
    encoding: "utf8",
    cwd: root,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("cli: lethe erase / status / approve / reject / cancel", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-erase-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses bad input in one line with exit 2, before reading any stack", () => {
    const missing = path.join(dir, "none.json");
    const idsFile = path.join(dir, "ids.txt");
    fs.writeFileSync(idsFile, "c-1\n\nc-3\n");
    for (const [args, message] of [
      [["erase", "--stack-outputs", missing], /^lethe: erase: give at least one customer ID/],
      [
        ["erase", "c-1", "", " ", "--stack-outputs", missing],
        /^lethe: ID 2: the ID is empty; ID 3: the ID is blank$/,
      ],
      [
        ["erase", "--ids-file", idsFile, "--stack-outputs", missing],
        /^lethe: --ids-file .*ids\.txt: line 2 is blank$/,
      ],
      [["erase", "c-1", "--drain-seconds", "soon"], /^lethe: --drain-seconds must be a whole number/],
      [["reject", "batch-1", "--stack-outputs", missing], /^lethe: reject needs --reason <text>/],
      [["status", "--stack-outputs", missing], /^lethe: missing required argument 'requestId'/],
      [
        ["erase", "c-1", "--stack-outputs", missing],
        /^lethe: cannot read stack outputs file '.*none\.json': no such file$/,
      ],
    ] as const) {
      const r = lethe(...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).to.equal(2);
      // The first run after a source change also says it compiles the CLI.
      const lines = r.stderr.split("\n").filter((l) => !l.startsWith("lethe: compiling the CLI"));
      expect(lines[0], args.join(" ")).to.match(message);
    }
  });

  it("erase --wait against the local stack: the batch runs to its end in process (found, forgotten, verified clean); unknown ids refused", async function () {
    this.timeout(900_000);
    const stack = await sharedLocalStack();
    const outputs = path.join(dir, "local.json");
    fs.writeFileSync(outputs, JSON.stringify(stack));
    const run = randomUUID().slice(0, 8);
    const customers = Array.from({ length: 40 }, (_, i) => `cli-${run}-${i}`);
    const objects = await writeSampleLake(makeS3Client(), stack.lakeBucket, {
      days: [new Date().toISOString().slice(0, 10)],
      objectsPerDay: 2,
      rowsPerObject: 400,
      rowGroupRows: 200,
      customers,
      runId: run,
    });
    const subjects = [customers[3], customers[17]];
    expect(objects.some((o) => (o.rowsByCustomer.get(subjects[0]) ?? 0) > 0)).to.equal(true);
    const started = Date.now();
    const result = await erase(
      { ids: subjects, reason: "cli test", requestedBy: "test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0 },
    );
    console.log(
      `      erase --wait: ${((Date.now() - started) / 1000).toFixed(1)} s to ${result.status?.state}`,
    );
    const expectedRows = objects.reduce(
      (n, o) => n + subjects.reduce((m, id) => m + (o.rowsByCustomer.get(id) ?? 0), 0),
      0,
    );
    // The request ran its batch to the end in this process: found, forgotten, verified clean.
    const batch = result.status?.batch as {
      rowsRemoved: number;
      steps: Record<string, { counts: Record<string, number> }>;
    };
    expect(batch.rowsRemoved, JSON.stringify(result.status)).to.equal(expectedRows);
    expect(batch.steps.verify.counts).to.include({ remainingRows: 0, hits: 0 });
    expect(result.ok).to.equal(result.status?.state === "COMPLETED");
    // One trace from `lethe erase` to the report: every function's invocation under the erase's segment.
    const trace = readTrace(path.dirname(result.trace!), path.basename(result.trace!, ".jsonl"));
    const root = trace.find((d) => d.name === "lethe erase")!;
    const invoked = new Set(trace.filter((d) => d.parent_id === root.id).map((d) => d.name));
    console.log(`      trace ${result.trace}: ${trace.length} segments; ${[...invoked].sort().join(", ")}`);
    for (const service of [
      "request",
      "batch",
      "find",
      "enqueue-purges",
      "purge",
      "poll-ledger",
      "verify",
      "report",
    ])
      expect(invoked, service).to.include(`## lethe-${service}`);
    expect(new Set(trace.map((d) => d.trace_id))).to.deep.equal(new Set([root.trace_id]));
    const traceText = fs.readFileSync(result.trace!, "utf8");
    for (const id of subjects) expect(traceText).to.not.include(id);
    const item = await getErasureRequest(makeDocumentClient(), stack.requestsTable, result.request.requestId);
    expect(item?.status).to.equal(result.status?.state);
    expect(item?.batchId).to.equal((result.batch as { batchId: string }).batchId);
    const items = await makeDocumentClient().send(new ScanCommand({ TableName: stack.requestsTable }));
    expect(JSON.stringify(items.Items)).to.not.include(subjects[0]);

    const status = (await requestStatusOf(result.request.requestId, { stackOutputsFile: outputs })) as {
      state: string;
    };
    expect(status.state).to.equal(result.status?.state);
    let refused: unknown;
    try {
      await cancel("no-such-id", undefined, { stackOutputsFile: outputs });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(UsageError);
    expect((refused as Error).message).to.equal("cancel: no request or batch no-such-id");
  });

  it("two erase --wait at once over the same objects, one's request taken into the other's batch: both follow their own request to COMPLETED, their rows gone", async function () {
    this.timeout(900_000);
    const stack = await sharedLocalStack();
    const s3 = makeS3Client();
    // One warm stack (as `lethe up --local` runs it) that both commands reach.
    const served = await serveWarmStack(stack, path.join(dir, "warm.json"), { drainSeconds: 0 });
    const closers: (() => Promise<void>)[] = [() => served.stop()];
    try {
      const run = randomUUID().slice(0, 8);
      const customers = Array.from({ length: 40 }, (_, i) => `two-${run}-${i}`);
      const objects = await writeSampleLake(s3, stack.lakeBucket, {
        days: [new Date().toISOString().slice(0, 10)],
        objectsPerDay: 2,
        rowsPerObject: 400,
        rowGroupRows: 200,
        customers,
        runId: `two-${run}`,
      });
      const first = [customers[2], customers[9]];
      const second = [customers[21], customers[30]];
      for (const id of [...first, ...second])
        expect(
          objects.every((o) => (o.rowsByCustomer.get(id) ?? 0) > 0),
          id,
        ).to.equal(true);

      // Each operator reaches the warm stack's functions through a Lambda endpoint of its own, which
      // orders their calls as the race went: both requests filed, the first's batch takes both, and
      // only then does the second's batch run (and finds nothing open).
      let secondFiled!: () => void;
      const secondRequestFiled = new Promise<void>((r) => (secondFiled = r));
      let firstBatched!: () => void;
      const firstBatchRan = new Promise<void>((r) => (firstBatched = r));
      const name = (short: string) =>
        String((stack as unknown as Record<string, unknown>)[outputKeyOf(short)]);
      const operator = async (
        file: string,
        hooks: { afterRequest?: () => void; beforeBatch?: Promise<void>; afterBatch?: () => void },
      ) => {
        const lambda = await serveLocalLambda({
          [name("request")]: async (e) => {
            const reply = await served.warm.invoke(name("request"), e);
            hooks.afterRequest?.();
            return reply;
          },
          [name("batch")]: async (e) => {
            await hooks.beforeBatch;
            const reply = await served.warm.invoke(name("batch"), e);
            hooks.afterBatch?.();
            return reply;
          },
          [name("status")]: (e) => served.warm.invoke(name("status"), e),
        });
        closers.push(() => lambda.close());
        const outputs = path.join(dir, file);
        writeOutputsFile(outputs, {
          ...served.stack,
          warm: { ...served.stack.warm!, lambdaEndpoint: lambda.endpoint },
        });
        return outputs;
      };
      const firstOutputs = await operator("first.json", {
        beforeBatch: secondRequestFiled,
        afterBatch: () => firstBatched(),
      });
      const secondOutputs = await operator("second.json", {
        afterRequest: () => secondFiled(),
        beforeBatch: firstBatchRan,
      });
      const [a, b] = await Promise.all([
        erase(
          { ids: first, reason: "operator one", wait: true },
          { stackOutputsFile: firstOutputs, drainSeconds: 0 },
        ),
        erase(
          { ids: second, reason: "operator two", wait: true },
          { stackOutputsFile: secondOutputs, drainSeconds: 0 },
        ),
      ]);
      // The race as the issue met it: the second's batch made none, its request was in the first's.
      expect(b.batch?.status, JSON.stringify(b.batch)).to.equal("NO_OPEN_REQUESTS");
      const firstBatch = (a.batch as { batchId: string; requestIds: string[] }).batchId;
      expect((a.batch as { requestIds: string[] }).requestIds).to.have.members([
        a.request.requestId,
        b.request.requestId,
      ]);
      for (const r of [a, b]) {
        expect(r.ok, JSON.stringify(r.status)).to.equal(true);
        expect(r.status?.state).to.equal("COMPLETED");
        expect(r.status?.report, "its report is recorded").to.be.a("string");
        expect((r.status?.batch as { batchId: string }).batchId).to.equal(firstBatch);
        const item = await getErasureRequest(makeDocumentClient(), stack.requestsTable, r.request.requestId);
        expect(item?.status).to.equal("COMPLETED");
      }
      // Both requests' rows are gone from the objects as pyarrow reads them; the others' are kept.
      const files: string[] = [];
      for (const o of objects) {
        const got = await s3.send(new GetObjectCommand({ Bucket: stack.lakeBucket, Key: o.key }));
        const file = path.join(dir, `${run}-${path.basename(o.key)}`);
        fs.writeFileSync(file, await got.Body!.transformToByteArray());
        files.push(file);
      }
      const held = idsInFiles(files);
      for (const file of files) {
        for (const id of [...first, ...second]) expect(held[file], id).to.not.include(id);
        expect(held[file]).to.include(customers[5]);
      }
    } finally {
      for (const close of closers.reverse()) await close();
    }
  });
});
