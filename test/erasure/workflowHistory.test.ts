// The execution history of a batch of 10,000 subjects (the most lethe:batchMaxSubjects allows) stays
// far below Step Functions' quota of 25,000 events per execution: the program's definition runs in the
// local interpreter with the packaged functions (local/erasure), and its event log is counted
// as Step Functions would record it (local/erasure/workflow.ts historyEventCount). Nothing in the
// definition iterates per subject: a batch of 10 takes as many events as a batch of 10,000.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { getBatch } from "../../runtime/erasure/batches";
import { packagedFunctions } from "../../local/program/packaging";
import { localDefinition, startLocalBatch, stackPackaging, LocalBatchOptions } from "../../local/erasure";
import { allStates, ExecutionEvent, historyEventCount } from "../../local/erasure/workflow";
import { sharedLocalStack } from "../support/localStack";
import { LakeObject, makeBatch, tablesOf, tempDir, writeLake } from "./workflowFixtures";

/** Step Functions' quota on one execution's history. */
const historyQuota = 25_000;

describe("erasure workflow: the execution history of a 10,000-subject batch", function () {
  this.timeout(600_000);
  let stack: LocalStack;
  let lake: LakeObject[];
  let dir: string;
  let options: LocalBatchOptions;
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const run = Date.now().toString(36);

  before(async () => {
    stack = await sharedLocalStack();
    dir = tempDir();
    const days = [0, 1].map((i) => new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10));
    lake = await writeLake(s3, stack.lakeBucket, dir, {
      days,
      perDay: 3,
      rows: 100,
      customers: 400,
      seed: 11,
      prefix: `hist-${run}`,
    });
    options = {
      drainSeconds: 1,
      ledgerPollSeconds: 1,
      batchPollMs: 200,
      findCacheDir: path.join(dir, "find-cache"),
    };
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs a batch of `ids` to its end; its state and the history events Step Functions would count. */
  async function runBatch(ids: string[]): Promise<{ status: string; events: number; states: number }> {
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids, ids.length);
    const execution = await startLocalBatch(stack, batch, options);
    const log: ExecutionEvent[] = [];
    const reading = (async () => {
      for await (const e of execution.events) log.push(e);
    })();
    await execution.result;
    await reading;
    const definition = localDefinition(stack, await packagedFunctions(stackPackaging(stack)), options);
    const record = (await getBatch(tablesOf(stack, doc), batch.batchId))!;
    return {
      status: record.status,
      events: historyEventCount(log, definition),
      states: log.filter((e) => e.type === "StateEntered").length,
    };
  }

  it("no Map of the definition iterates over subjects: the only one is over the stores", async () => {
    const definition = localDefinition(stack, await packagedFunctions(stackPackaging(stack)), options);
    const maps = Object.entries(allStates(definition)).filter(([, s]) => s.Type === "Map");
    for (const [name, s] of maps)
      expect((s as { ItemsPath?: string }).ItemsPath, `Map ${name}`).to.equal("$.stores");
  });

  it("a batch of 10,000 subjects completes in far fewer than 25,000 events, as many as a batch of 10", async () => {
    const inLake = [...new Set(lake.flatMap((o) => [...o.ids]))];
    // 40 subjects with rows in the lake, the rest with none: the manifest holds all 10,000.
    const big = [...inLake.slice(0, 40), ...Array.from({ length: 9_960 }, (_, i) => `absent-${run}-${i}`)];
    const small = inLake.slice(40, 50);
    const started = Date.now();
    const large = await runBatch(big);
    const seconds = (Date.now() - started) / 1000;
    const few = await runBatch(small);
    console.log(
      `      history events as Step Functions counts them: 10,000 subjects ${large.events} ` +
        `(${large.states} states entered, ${seconds.toFixed(1)} s), 10 subjects ${few.events}; quota ${historyQuota}`,
    );
    expect(large.status).to.equal("COMPLETED");
    expect(few.status).to.equal("COMPLETED");
    expect(large.events).to.be.below(historyQuota / 10);
    // Only the ledger polls' count varies (time, not subjects): within a few polls of each other.
    expect(Math.abs(large.events - few.events)).to.be.below(100);
  });
});
