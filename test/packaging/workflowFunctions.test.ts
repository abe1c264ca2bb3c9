// The workflow's task functions from packaged code, as the program declares them: each zip carries its handler's compiled closure and no embedded engine,
// refuses a bad state payload naming the field, and needs-attention moves a batch (or leaves a
// cancelled one as it ended) when run against the emulator.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { getBatch, moveBatch } from "../../runtime/erasure/batches";
import { loadPackagedHandler, packagedFunction } from "../../local/program/packaging";
import { batchFunctionEnvironment } from "../../local/erasure";
import { sharedLocalStack } from "../support/localStack";
import { makeBatch, tablesOf } from "../erasure/workflowFixtures";

const handlers: [string, string, unknown, RegExp][] = [
  ["find", "runtime/handlers/find.ts", { batchId: "no such/batch" }, /find: batchId must be a batch id/],
  ["request-approval", "runtime/handlers/requestApproval.ts", { batchId: "b1", plan: {} }, /taskToken/],
  ["enqueue-purges", "runtime/handlers/enqueuePurges.ts", { batchId: "b1", round: 0 }, /plan\.location/],
  [
    "poll-ledger",
    "runtime/handlers/pollLedger.ts",
    { batchId: "b1", round: -1 },
    /round must be a whole number/,
  ],
  ["verify", "runtime/handlers/verify.ts", { batchId: "b1", round: 0 }, /maxRounds/],
  ["needs-attention", "runtime/handlers/needsAttention.ts", {}, /needsAttention: batchId/],
];

describe("packaging: the workflow's task functions run from packaged code", function () {
  this.timeout(300_000);
  let stack: LocalStack;
  before(async () => {
    stack = await sharedLocalStack();
  });

  for (const [shortName, entry, event, refusal] of handlers) {
    it(`${shortName}: carries ${entry}, refuses a bad payload naming the field`, async () => {
      const fn = await packagedFunction(shortName);
      expect(fn.entries).to.include(entry);
      expect(fs.existsSync(path.join(fn.dir, "node_modules/@duckdb"))).to.equal(false);
      const handler = loadPackagedHandler(fn, batchFunctionEnvironment(fn, stack));
      let error: Error | undefined;
      await handler(event).catch((e: Error) => (error = e));
      expect(error?.name).to.equal("UsageError");
      expect(error?.message).to.match(refusal);
    });
  }

  it("needs-attention: moves a batch and its requests with the reason; a cancelled batch stays CANCELLED", async () => {
    const fn = await packagedFunction("needs-attention");
    const handler = loadPackagedHandler(fn, batchFunctionEnvironment(fn, stack));
    const t = tablesOf(stack, makeDocumentClient());
    const s3 = makeS3Client();
    const open = await makeBatch(stack, s3, t, ["pkg-subject-1", "pkg-subject-2"]);
    const reply = (await handler({
      batchId: open.batchId,
      failure: { Error: "ThrottlingException", Cause: JSON.stringify({ errorMessage: "Rate exceeded" }) },
    })) as Record<string, unknown>;
    expect(reply).to.include({
      status: "NEEDS_ATTENTION",
      alerted: true,
      reason: "ThrottlingException: Rate exceeded",
    });
    expect((await getBatch(t, open.batchId))!).to.include({
      status: "NEEDS_ATTENTION",
      reason: "ThrottlingException: Rate exceeded",
    });

    const cancelled = await makeBatch(stack, s3, t, ["pkg-subject-3"]);
    await moveBatch(t, cancelled.batchId, "CANCELLED", { reason: "cancelled by an operator" });
    const left = (await handler({
      batchId: cancelled.batchId,
      failure: { Error: "States.Timeout" },
    })) as Record<string, unknown>;
    expect(left).to.include({ status: "CANCELLED", alerted: false });
    expect((await getBatch(t, cancelled.batchId))!.status).to.equal("CANCELLED");
  });
});
