import { expect } from "chai";
import {
  WorkflowDefinitionSettings,
  workflowDefinition,
  workflowTasks,
} from "../../runtime/erasure/workflow/definition";

type State = Record<string, unknown> & { Type: string };

function settings(over: Partial<WorkflowDefinitionSettings> = {}): WorkflowDefinitionSettings {
  const functionArns = Object.fromEntries(
    workflowTasks.map((t) => [t, `arn:aws:lambda:eu-west-1:123456789012:function:lethe-test-${t}`]),
  ) as WorkflowDefinitionSettings["functionArns"];
  return {
    functionArns,
    approvalRequired: false,
    drainSeconds: 600,
    ledgerPollSeconds: 30,
    maxVerifyRounds: 3,
    approvalTimeoutSeconds: 72 * 3600,
    taskTimeoutSeconds: 900,
    ...over,
  };
}

/** Every state by name, those inside Parallel branches and Map iterators too (names are unique). */
function statesOf(def: Record<string, unknown>): Record<string, State> {
  const out: Record<string, State> = {};
  for (const [name, s] of Object.entries(def.States as Record<string, State>)) {
    expect(out, `state name ${name} used twice`).not.to.have.property(name);
    out[name] = s;
    for (const inner of nestedMachines(s)) Object.assign(out, statesOf(inner));
  }
  return out;
}

function nestedMachines(s: State): Record<string, unknown>[] {
  return [
    ...((s.Branches as Record<string, unknown>[] | undefined) ?? []),
    ...(s.Iterator ? [s.Iterator as Record<string, unknown>] : []),
  ];
}

/** Every state name a state can go to next (Next, Default, Choices, Catch, a branch's or iterator's start). */
function successors(s: State): string[] {
  const out: string[] = nestedMachines(s).map((m) => m.StartAt as string);
  if (typeof s.Next === "string") out.push(s.Next);
  if (typeof s.Default === "string") out.push(s.Default);
  for (const c of (s.Choices as { Next: string }[] | undefined) ?? []) out.push(c.Next);
  for (const c of (s.Catch as { Next: string }[] | undefined) ?? []) out.push(c.Next);
  return out;
}

describe("erasure workflow: the state machine definition", () => {
  for (const approvalRequired of [false, true]) {
    describe(`with approval ${approvalRequired ? "on" : "off"}`, () => {
      const def = workflowDefinition(settings({ approvalRequired }));
      const states = statesOf(def);

      it("goes only to states that exist, and reaches every state from the start", () => {
        const seen = new Set<string>();
        const todo = [def.StartAt as string];
        while (todo.length) {
          const name = todo.pop()!;
          if (seen.has(name)) continue;
          expect(states, `state ${name}`).to.have.property(name);
          seen.add(name);
          todo.push(...successors(states[name]));
        }
        expect([...seen].sort()).to.deep.equal(Object.keys(states).sort());
      });

      it("retries every Task and sends every unhandled failure to NeedsAttention", () => {
        const lake = (def.States as Record<string, State>).EraseEverywhere.Branches as { States: object }[];
        for (const [name, s] of Object.entries(states)) {
          if (s.Type !== "Task") continue;
          expect(s.Retry, name).to.be.an("array").with.length.above(0);
          expect(s.TimeoutSeconds, name).to.be.a("number").above(0);
          if (name === "NeedsAttention") {
            expect(s.Next).to.equal("AttentionReport");
            continue;
          }
          if (name === "AttentionReport") {
            // The report of a batch that stopped; the batch ends Failed whether or not it is written.
            expect(s.Resource).to.equal(settings().functionArns.report);
            expect(s.Next).to.equal("Failed");
            expect(s.Catch).to.deep.equal([
              { ErrorEquals: ["States.ALL"], ResultPath: "$.attentionReportFailure", Next: "Failed" },
            ]);
            // The report task tells it from a verified batch's by the NeedsAttention reply beside the state.
            expect(states.NeedsAttention.ResultPath).to.equal("$.attention");
            expect(s).not.to.have.property("Parameters");
            continue;
          }
          // Inside the lake's branch a failure ends the branch, so the stores' branches still finish.
          expect(s.Catch, name).to.deep.include({
            ErrorEquals: ["States.ALL"],
            ResultPath: "$.failure",
            Next: name in lake[0].States ? "LakeFailed" : "NeedsAttention",
          });
        }
        expect(states.Failed.Type).to.equal("Fail");
      });

      it("uses JSONPath only: no JSONata, Variables or Distributed Map", () => {
        const text = JSON.stringify(def);
        expect(def).not.to.have.property("QueryLanguage");
        expect(text).not.to.match(/"Assign"|"Arguments"|"Output"|\{%|"ItemReader"|"ItemProcessor"/);
        for (const s of Object.values(states))
          expect(s.Type).to.be.oneOf(["Task", "Wait", "Choice", "Pass", "Fail", "Parallel", "Map"]);
      });

      it("polls the ledger with a Wait in a loop, so history does not grow with the number of objects", () => {
        expect(states.WaitForLedger).to.include({ Type: "Wait", Seconds: 30, Next: "PollLedger" });
        expect(states.ForgetDone.Default).to.equal("WaitForLedger");
        expect(states.Drain).to.include({ Type: "Wait", Seconds: 600 });
      });

      it("backs each task with its own function", () => {
        const arns = Object.values(states)
          .filter((s) => s.Type === "Task")
          .map((s) => (s.Parameters as { FunctionName?: string } | undefined)?.FunctionName ?? s.Resource);
        expect(arns).to.include(settings().functionArns.find).and.include(settings().functionArns.verify);
        expect(arns.includes(settings().functionArns.requestApproval)).to.equal(approvalRequired);
      });
    });
  }

  it("waits on a task token for approval and lets only 'approve' through", () => {
    const states = statesOf(workflowDefinition(settings({ approvalRequired: true })));
    expect(states.RequestApproval.Resource).to.equal("arn:aws:states:::lambda:invoke.waitForTaskToken");
    expect(JSON.stringify(states.RequestApproval.Parameters)).to.contain('"taskToken.$":"$$.Task.Token"');
    expect(states.RequestApproval.TimeoutSeconds).to.equal(72 * 3600);
    expect(states.ApprovalDecision.Choices).to.deep.equal([
      { Variable: "$.approval.decision", StringEquals: "approve", Next: "EraseEverywhere" },
    ]);
    expect(states.ApprovalDecision.Default).to.equal("Report");
  });

  it("is the same JSON for the same settings (deployed and local run one definition)", () => {
    expect(JSON.stringify(workflowDefinition(settings()))).to.equal(
      JSON.stringify(workflowDefinition(settings())),
    );
  });

  it("refuses settings that would make a broken machine, naming the setting", () => {
    expect(() => workflowDefinition(settings({ ledgerPollSeconds: 0 }))).to.throw(/ledgerPollSeconds/);
    expect(() => workflowDefinition(settings({ maxVerifyRounds: 1.5 }))).to.throw(/maxVerifyRounds/);
    expect(() => workflowDefinition(settings({ drainSeconds: -1 }))).to.throw(/drainSeconds/);
  });
});
