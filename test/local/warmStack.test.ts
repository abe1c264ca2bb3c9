// The warm local stack (local/warmStack.ts) on the emulator, with the program's packaged functions:
// Lambda Invoke of a declared function with its environment, an execution run through StartExecution
// and DescribeExecution to its end, the purge queue drained as declared, the indexer notified of the
// lake's new objects, and commands in processes of their own reusing its warm instances.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { DescribeExecutionCommand, SendTaskSuccessCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { makeLambdaClient, makeS3Client, makeSfnClient } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { getErasureRequest } from "../../runtime/erasure/request";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { serveWarmStack, ServedWarmStack } from "../../local/serve";
import { writeSampleLake } from "../../local/fixtures/sampleLake";
import { sharedLocalStack } from "../support/localStack";

const root = path.resolve(__dirname, "../..");

/** `lethe ...` in a process of its own, asynchronously (the warm stack answers from this one). */
function lethe(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "bin", "lethe"), ...args], {
      cwd: root,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("local: the warm stack", function () {
  this.timeout(900_000);
  let stack: LocalStack;
  let served: ServedWarmStack;
  let outputs: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-warm-"));

  before(async () => {
    stack = await sharedLocalStack();
    outputs = path.join(dir, "local.json");
    served = await serveWarmStack(stack, outputs, { schedules: "off", bucketPollMs: 300 });
  });
  after(async () => {
    await served?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const lambda = () => makeLambdaClient({ endpoint: served.warm.lambdaEndpoint });
  const sfn = () => makeSfnClient({ endpoint: served.warm.stepFunctionsEndpoint });
  const invoke = async (functionName: string, event: unknown) => {
    const out = await lambda().send(
      new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    return {
      reply: JSON.parse(Buffer.from(out.Payload!).toString("utf8")),
      error: out.FunctionError,
    };
  };

  it("records its endpoints in the outputs file", () => {
    const written = JSON.parse(fs.readFileSync(outputs, "utf8")) as LocalStack;
    expect(written.warm).to.deep.equal({
      lambdaEndpoint: served.warm.lambdaEndpoint,
      stepFunctionsEndpoint: served.warm.stepFunctionsEndpoint,
      pid: process.pid,
    });
    expect(written.requestsTable).to.equal(stack.requestsTable);
  });

  it("serves Lambda Invoke for a declared function, which runs with the environment the program gives it", async () => {
    const id = `warm-${randomUUID().slice(0, 8)}`;
    const filed = await invoke(String(stack.requestFunction), {
      customerIds: [id],
      reason: "warm stack test",
    });
    expect(filed.error).to.equal(undefined);
    // The request function wrote to the stack's requests table, named by its environment.
    const record = await getErasureRequest(makeDocumentClient(), stack.requestsTable, filed.reply.requestId);
    expect(record?.status).to.equal("RECEIVED");
    const status = await invoke(String(stack.statusFunction), { requestId: filed.reply.requestId });
    expect(status.reply).to.include({ requestId: filed.reply.requestId, state: "RECEIVED" });
    // A refusal is the function's error, as Lambda replies it.
    const unknown = await invoke(String(stack.statusFunction), { requestId: randomUUID() });
    expect(unknown.error).to.equal("Unhandled");
    expect(unknown.reply.errorMessage).to.match(/does not exist/);
    const missing = await lambda()
      .send(new InvokeCommand({ FunctionName: "lethe-dev-nothing", Payload: Buffer.from("{}") }))
      .catch((e) => e);
    expect(missing.name).to.equal("ResourceNotFoundException");
    await invoke(String(stack.cancelFunction), { requestId: filed.reply.requestId, reason: "test done" });
  });

  it("runs the batch function's execution through StartExecution and DescribeExecution to its end; the purge queue is drained as declared", async () => {
    const run = randomUUID().slice(0, 8);
    const customers = Array.from({ length: 30 }, (_, i) => `warm-${run}-${i}`);
    const indexedBefore = served.warm.info().invocations.indexer ?? 0;
    await writeSampleLake(makeS3Client(), stack.lakeBucket, {
      days: [new Date().toISOString().slice(0, 10)],
      objectsPerDay: 2,
      rowsPerObject: 300,
      rowGroupRows: 100,
      customers,
      runId: run,
    });
    const filed = await invoke(String(stack.requestFunction), { customerIds: [customers[4]] });
    await fetch(`${served.warm.stepFunctionsEndpoint}/lethe/settings`, {
      method: "POST",
      body: JSON.stringify({ drainSeconds: 0 }),
    });
    const batch = (await invoke(String(stack.batchFunction), { now: true })).reply;
    expect(batch.status, JSON.stringify(batch)).to.equal("STARTED");
    expect(batch.executionId).to.match(/:execution:/);
    let described;
    for (;;) {
      described = await sfn().send(new DescribeExecutionCommand({ executionArn: batch.executionId }));
      if (described.status !== "RUNNING") break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(described.status, `${described.error} ${described.cause}`).to.equal("SUCCEEDED");
    expect(JSON.parse(described.input!)).to.include({ batchId: batch.batchId });
    const status = await invoke(String(stack.statusFunction), { requestId: filed.reply.requestId });
    expect(status.reply.state).to.equal("COMPLETED");

    const info = served.warm.info();
    // The purge function got the objects through the queue, never more per invocation than declared.
    const declared = stack.eventSources!.find((s) => stack.purgeQueueUrl.endsWith(`/${s.queueName}`))!;
    expect(info.invocations.purge).to.be.greaterThan(0);
    expect(info.largestQueueBatch.purge).to.be.within(1, declared.batchSize);
    // The indexer was notified of the lake's new objects (and of their rewritten versions).
    expect(info.invocations.indexer ?? 0).to.be.greaterThan(indexedBefore);

    // Stopping an ended execution changes nothing; unknown executions and tokens are refused.
    await sfn().send(new StopExecutionCommand({ executionArn: batch.executionId }));
    const after = await sfn().send(new DescribeExecutionCommand({ executionArn: batch.executionId }));
    expect(after.status).to.equal("SUCCEEDED");
    const unknown = await sfn()
      .send(new DescribeExecutionCommand({ executionArn: `${batch.executionId}-none` }))
      .catch((e) => e);
    expect(unknown.name).to.equal("ExecutionDoesNotExist");
    const token = await sfn()
      .send(new SendTaskSuccessCommand({ taskToken: "no-such-token", output: "{}" }))
      .catch((e) => e);
    expect(token.name).to.equal("TaskDoesNotExist");
  });

  it("commands in processes of their own go through its Lambda Invoke and reuse its warm instances", async () => {
    // Filed, not batched (erase against a running stack also starts its batch, as deployed).
    const filed = {
      request: (
        await invoke(String(stack.requestFunction), { customerIds: [`warm-cli-${randomUUID().slice(0, 8)}`] })
      ).reply as { requestId: string },
    };
    const before = served.warm.info();
    const first = await lethe("status", filed.request.requestId, "--stack-outputs", outputs, "--json");
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.parse(first.stdout)).to.include({ requestId: filed.request.requestId, state: "RECEIVED" });
    const second = await lethe("status", filed.request.requestId, "--stack-outputs", outputs);
    expect(second.code, second.stderr).to.equal(0);
    const after = served.warm.info();
    // Both commands were served here, by the one instance loaded before them.
    expect(after.invocations.status - (before.invocations.status ?? 0)).to.equal(2);
    expect(after.coldStarts.status).to.equal(1);
    const listed = await lethe("requests", "--open", "--stack-outputs", outputs, "--json");
    expect(listed.code, listed.stderr).to.equal(0);
    expect(JSON.parse(listed.stdout).requests.map((r: { requestId: string }) => r.requestId)).to.include(
      filed.request.requestId,
    );
    await lethe("cancel", filed.request.requestId, "--stack-outputs", outputs);
  });

  it("npm run bench:local -- --smoke times every local command against it (the bench cannot break unseen)", async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          "-r",
          "ts-node/register/transpile-only",
          "bench/local.ts",
          "--smoke",
          "--json",
          "--stack-outputs",
          outputs,
        ],
        { cwd: root, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.once("exit", (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).to.equal(0);
    const { figures } = JSON.parse(r.stdout) as {
      figures: { what: string; runs: number[]; target: number }[];
    };
    expect(figures.map((f) => f.what)).to.deep.equal([
      "lethe status",
      "lethe requests",
      "lethe erase --wait --drain-seconds 0, one ID, empty lake",
      "lethe erase --wait --drain-seconds 0, one ID, demo lake",
      "lethe api --local answering",
    ]);
    for (const f of figures) expect(f.runs, f.what).to.have.length(1);
  });
});
