// The deployed definition, run in process: the paths a batch can take through it.
import { expect } from "chai";
import {
  workflowDefinition,
  workflowTasks,
  WorkflowDefinitionSettings,
} from "../../runtime/erasure/workflow/definition";
import { startLocalExecution } from "../../local/erasure/workflow";

const stateOfTask: Record<(typeof workflowTasks)[number], string> = {
  find: "Find",
  requestApproval: "RequestApproval",
  enqueuePurges: "EnqueuePurges",
  pollLedger: "PollLedger",
  verify: "Verify",
  report: "Report",
  needsAttention: "NeedsAttention",
};

function definition(approvalRequired: boolean, maxVerifyRounds = 3) {
  const s: WorkflowDefinitionSettings = {
    functionArns: Object.fromEntries(
      workflowTasks.map((t) => [t, `arn:aws:lambda:eu-west-1:123456789012:function:lethe-test-${t}`]),
    ) as WorkflowDefinitionSettings["functionArns"],
    approvalRequired,
    drainSeconds: 600,
    ledgerPollSeconds: 60,
    maxVerifyRounds,
    approvalTimeoutSeconds: 3600,
    taskTimeoutSeconds: 60,
  };
  return workflowDefinition(s);
}

type Calls = { state: string; input: unknown }[];

/** Handlers that record their calls and answer from `answers` (state name -> function of the call count). */
function recording(calls: Calls, answers: Record<string, (n: number, input: unknown) => unknown>) {
  const counts: Record<string, number> = {};
  return Object.fromEntries(
    // The report function backs two states: Report, and AttentionReport after NeedsAttention.
    [...Object.values(stateOfTask), "AttentionReport"].map((state) => [
      state,
      async (input: unknown) => {
        calls.push({ state, input });
        counts[state] = (counts[state] ?? 0) + 1;
        const answer = answers[state];
        return answer ? answer(counts[state], input) : {};
      },
    ]),
  );
}

const noWaits = { WaitForLedger: 0, Drain: 0 };
const input = { batchId: "b-1", deadline: "2027-01-31T00:00:00.000Z" };

describe("local workflow: the deployed definition in process", () => {
  it("polls the ledger until done, sends verify's new hits back to forget, and reports at zero", async () => {
    const calls: Calls = [];
    const handlers = recording(calls, {
      Find: () => ({ round: 0, objects: 4 }),
      PollLedger: (n) => ({ done: n % 3 === 0, pastDeadline: false, failed: false }),
      Verify: (n) => (n === 1 ? { hits: 2, retry: true, nextRound: 1, plan: { objects: 1 } } : { hits: 0 }),
      Report: () => ({ location: "s3://reports/b-1.json" }),
    });
    const out = (await startLocalExecution(
      { definition: definition(false), handlers, waitSeconds: noWaits },
      input,
    ).result) as Record<string, unknown>;
    expect(calls.map((c) => c.state)).to.deep.equal([
      "Find",
      "EnqueuePurges",
      "PollLedger",
      "PollLedger",
      "PollLedger",
      "Verify",
      "EnqueuePurges",
      "PollLedger",
      "PollLedger",
      "PollLedger",
      "Verify",
      "Report",
    ]);
    expect(calls[0].input).to.deep.equal({ batchId: "b-1", round: 0 });
    expect(calls[6].input).to.deep.equal({ batchId: "b-1", round: 1, plan: { objects: 1 }, resumed: false });
    expect(calls[10].input).to.deep.include({ round: 1, maxRounds: 3 });
    expect(out.report).to.deep.equal({ location: "s3://reports/b-1.json" });
  });

  it("resumes a batch at the forget round its input names (lethe retry): no find, the round's plan sent again, marked resumed", async () => {
    const calls: Calls = [];
    const handlers = recording(calls, {
      PollLedger: () => ({ done: true, pastDeadline: false, failed: false }),
      Verify: () => ({ hits: 0 }),
      Report: () => ({ location: "s3://reports/b-1.json" }),
    });
    const plan = { batchId: "b-1", round: 2, location: { bucket: "lake", key: "erasure-plans/b-1/2.json" } };
    const out = (await startLocalExecution(
      { definition: definition(true), handlers, waitSeconds: noWaits },
      { ...input, resume: { round: 2, plan } },
    ).result) as Record<string, unknown>;
    expect(calls.map((c) => c.state)).to.deep.equal(["EnqueuePurges", "PollLedger", "Verify", "Report"]);
    expect(calls[0].input).to.deep.equal({ batchId: "b-1", round: 2, plan, resumed: true });
    expect(out.report).to.deep.equal({ location: "s3://reports/b-1.json" });
  });

  it("ends NEEDS_ATTENTION, with the error, when a task fails", async () => {
    const calls: Calls = [];
    const handlers = recording(calls, {
      Find: () => {
        throw Object.assign(new Error("Athena query cancelled: bytes-scanned cutoff (mapper events)"), {
          name: "FindFailed",
        });
      },
    });
    const err = await startLocalExecution(
      { definition: definition(false), handlers, waitSeconds: noWaits },
      input,
    ).result.catch((e) => e);
    expect((err as { cause: Error }).cause.name).to.equal("Lethe.NeedsAttention");
    expect(calls.map((c) => c.state)).to.deep.equal(["Find", "NeedsAttention", "AttentionReport"]);
    // The attention report gets the whole state: the failure and NeedsAttention's reply beside it.
    expect(calls[2].input).to.have.property("attention");
    expect(calls[2].input).to.have.property("failure");
    const failure = (calls[1].input as { failure: { Error: string; Cause: string } }).failure;
    expect(failure.Error).to.equal("FindFailed");
    expect(failure.Cause).to.contain("bytes-scanned cutoff");
  });

  it("ends NEEDS_ATTENTION when forget passes the deadline, and when verify runs out of rounds", async () => {
    const late: Calls = [];
    await startLocalExecution(
      {
        definition: definition(false),
        handlers: recording(late, { PollLedger: () => ({ done: false, pastDeadline: true, failed: false }) }),
        waitSeconds: noWaits,
      },
      input,
    ).result.catch(() => undefined);
    expect(late.map((c) => c.state)).to.deep.equal([
      "Find",
      "EnqueuePurges",
      "PollLedger",
      "NeedsAttention",
      "AttentionReport",
    ]);

    const stubborn: Calls = [];
    await startLocalExecution(
      {
        definition: definition(false, 2),
        handlers: recording(stubborn, {
          PollLedger: () => ({ done: true, failed: false }),
          Verify: (n) => ({ hits: 1, retry: n < 2, nextRound: n, plan: {} }),
        }),
        waitSeconds: noWaits,
      },
      input,
    ).result.catch(() => undefined);
    expect(stubborn.filter((c) => c.state === "Verify")).to.have.length(2);
    expect(stubborn.slice(-2).map((c) => c.state)).to.deep.equal(["NeedsAttention", "AttentionReport"]);
  });

  for (const decision of ["approve", "reject"] as const) {
    it(`waits for the approval token, then ${decision === "approve" ? "forgets" : "reports without forgetting"}`, async () => {
      const calls: Calls = [];
      let delivered: string | undefined;
      const handlers = recording(calls, {
        PollLedger: () => ({ done: true, failed: false }),
        Verify: () => ({ hits: 0 }),
      });
      const execution = startLocalExecution(
        {
          definition: definition(true),
          handlers,
          waitSeconds: noWaits,
          awaitTaskToken: async (token) => {
            await new Promise((r) => setTimeout(r, 50));
            delivered = token;
            return { decision, by: "dpo@example.com" };
          },
        },
        input,
      );
      const out = (await execution.result) as { approval: unknown };
      const asked = calls.find((c) => c.state === "RequestApproval")!.input as {
        taskToken: string;
        batchId: string;
      };
      expect(asked.batchId).to.equal("b-1");
      expect(asked.taskToken).to.equal(delivered).and.to.equal(`local-${execution.executionId}`);
      expect(out.approval).to.deep.equal({ decision, by: "dpo@example.com" });
      expect(calls.some((c) => c.state === "EnqueuePurges")).to.equal(decision === "approve");
      expect(calls.at(-1)!.state).to.equal("Report");
    });
  }
});
