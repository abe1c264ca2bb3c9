// The definition's EraseEverywhere state per store configuration: the lake alone with no stores, one
// Map branch per kind with stores, a Catch in every store Task, and a Choice that checks every store.
import { expect } from "chai";
import { StoreKind } from "../../runtime/contracts/stores";
import {
  WorkflowDefinitionSettings,
  workflowDefinition,
  workflowTasks,
  WorkflowStore,
} from "../../runtime/erasure/workflow/definition";
import { storeTaskStateNames, workflowStores } from "../../runtime/erasure/workflow/storeBranches";

type State = Record<string, unknown> & { Type: string };
type Machine = { StartAt: string; States: Record<string, State> };

const arn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:lethe-test-${name}`;

function definition(stores: WorkflowStore[], over: Partial<WorkflowDefinitionSettings> = {}) {
  return workflowDefinition({
    functionArns: Object.fromEntries(
      workflowTasks.map((t) => [t, arn(t)]),
    ) as WorkflowDefinitionSettings["functionArns"],
    approvalRequired: false,
    drainSeconds: 600,
    ledgerPollSeconds: 30,
    maxVerifyRounds: 3,
    approvalTimeoutSeconds: 3600,
    taskTimeoutSeconds: 900,
    stores,
    ...over,
  }) as unknown as Machine;
}

const store = (name: string, kind: StoreKind): WorkflowStore => ({
  name,
  kind,
  functionArn: arn(`store-${name}`),
});
const all = [
  store("profiles", "dynamodb"),
  store("sessions", "dynamodb"),
  store("accounts", "postgres"),
  store("crm", "subsystem"),
  store("archive", "subsystem"),
];

/** Every state of a machine, those in its branches and iterators too. */
function flatten(m: Machine): Record<string, State> {
  const out: Record<string, State> = {};
  for (const [name, s] of Object.entries(m.States)) {
    out[name] = s;
    for (const inner of [
      ...((s.Branches as Machine[]) ?? []),
      ...(s.Iterator ? [s.Iterator as Machine] : []),
    ])
      Object.assign(out, flatten(inner));
  }
  return out;
}

describe("erasure workflow: the stores' branches in the definition", () => {
  it("with no stores: the lake's branch alone, and the Choice checks the lake", () => {
    const { States } = definition([]);
    const parallel = States.EraseEverywhere;
    expect(parallel.Type).to.equal("Parallel");
    const branches = parallel.Branches as Machine[];
    expect(branches).to.have.length(1);
    expect(branches[0].StartAt).to.equal("EnqueuePurges");
    expect(Object.keys(branches[0].States)).to.include.members([
      "PollLedger",
      "Verify",
      "ForgetAgain",
      "LakeErased",
    ]);
    expect(parallel.ResultSelector).to.deep.equal({ "lake.$": "$[0]" });
    expect(States.EraseEverywhereResult.Choices).to.deep.equal([
      { Variable: "$.outcome.lake.ok", BooleanEquals: true, Next: "Report" },
    ]);
    expect(States.EraseEverywhereResult.Default).to.equal("NotErasedEverywhere");
    expect(JSON.stringify(States)).not.to.contain("StoreCall");
  });

  it("with every kind: lake, DynamoDB, PostgreSQL and subsystem branches, each a Map over its stores", () => {
    const { States } = definition(all);
    const branches = States.EraseEverywhere.Branches as Machine[];
    expect(branches.map((b) => b.StartAt)).to.deep.equal([
      "EnqueuePurges",
      "ListDynamodbStores",
      "ListPostgresStores",
      "ListSubsystemStores",
    ]);
    expect(branches[1].States.ListDynamodbStores.Result).to.deep.equal([
      { name: "profiles", functionArn: arn("store-profiles") },
      { name: "sessions", functionArn: arn("store-sessions") },
    ]);
    expect(branches[3].States.SubsystemStores).to.include({ Type: "Map", ItemsPath: "$.stores" });
    expect(States.EraseEverywhere.ResultSelector).to.deep.equal({
      "lake.$": "$[0]",
      "dynamodb.$": "$[1]",
      "postgres.$": "$[2]",
      "subsystem.$": "$[3]",
    });
    const [rule] = States.EraseEverywhereResult.Choices as { And: { Variable: string }[]; Next: string }[];
    expect(rule.Next).to.equal("Report");
    expect(rule.And.map((c) => c.Variable)).to.deep.equal([
      "$.outcome.lake.ok",
      "$.outcome.dynamodb[0].ok",
      "$.outcome.dynamodb[1].ok",
      "$.outcome.postgres[0].ok",
      "$.outcome.subsystem[0].ok",
      "$.outcome.subsystem[1].ok",
    ]);
  });

  it("only the kinds that have stores get a branch", () => {
    const branches = definition([store("crm", "subsystem")]).States.EraseEverywhere.Branches as Machine[];
    expect(branches.map((b) => b.StartAt)).to.deep.equal(["EnqueuePurges", "ListSubsystemStores"]);
  });

  it("no branch can fail the Parallel: every Task catches into a result, no Fail inside a branch", () => {
    const { States } = definition(all);
    for (const branch of States.EraseEverywhere.Branches as Machine[]) {
      for (const [name, s] of Object.entries(flatten(branch))) {
        expect(s.Type, name).not.to.equal("Fail");
        if (s.Type !== "Task" && s.Type !== "Map") continue;
        if (s.Type === "Task") expect(s.Retry, name).to.be.an("array").with.length.above(0);
        expect(s.Catch, name).to.satisfy((c: { ErrorEquals: string[] }[]) =>
          c.some((x) => x.ErrorEquals.includes("States.ALL")),
        );
      }
    }
  });

  it("polls an async subsystem with a Wait whose length the function's reply sets; table stores do not wait", () => {
    const states = flatten(definition(all));
    expect(states.SubsystemStoreWait).to.deep.equal({
      Type: "Wait",
      SecondsPath: "$.reply.waitSeconds",
      Next: "SubsystemStoreCall",
    });
    expect(states.SubsystemStoreDone.Default).to.equal("SubsystemStoreWait");
    expect(states).not.to.have.property("DynamodbStoreWait");
    expect(states.DynamodbStoreCall.Next).to.equal("DynamodbStoreResult");
    const call = states.SubsystemStoreCall;
    expect(call.Resource).to.equal("arn:aws:states:::lambda:invoke");
    expect(call.Parameters).to.deep.equal({
      "FunctionName.$": "$.functionArn",
      Payload: {
        "batchId.$": "$.batchId",
        "store.$": "$.store",
        "deadline.$": "$.deadline",
        "action.$": "$.reply.nextAction",
        pollSeconds: 60,
        maxPollSeconds: 3600,
      },
    });
    expect(storeTaskStateNames("subsystem")).to.deep.equal(["SubsystemStoreCall", "SubsystemStoreFailed"]);
    for (const kind of ["dynamodb", "postgres", "subsystem"] as const)
      for (const name of storeTaskStateNames(kind)) expect(states[name].Type).to.equal("Task");
  });

  it("takes lethe:stores' entries with each store function's ARN", () => {
    expect(
      workflowStores(
        [
          { name: "crm", kind: "subsystem" as const },
          { name: "profiles", kind: "dynamodb" as const },
        ],
        (name) => arn(`store-${name}`),
      ),
    ).to.deep.equal([store("crm", "subsystem"), store("profiles", "dynamodb")]);
  });

  it("refuses stores it cannot build branches for, naming the store", () => {
    expect(() => definition([store("crm", "subsystem"), store("crm", "dynamodb")])).to.throw(
      'workflow: store "crm" is named twice',
    );
    expect(() => definition([{ ...store("crm", "subsystem"), functionArn: "" }])).to.throw(
      /"crm" has no function ARN/,
    );
    expect(() => definition([store("crm", "subsystem")], { storePollSeconds: 0 })).to.throw(
      /storePollSeconds/,
    );
  });
});
