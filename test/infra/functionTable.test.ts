// The table of functions (runtime/contracts/functions.ts) is what the program declares: every
// function it builds (but the per-store ones) is in it, named, sized and serviced as it says, named
// by its stack output, with a handler module and a sample console event; the state machine's tasks
// are its task map; every function traces with X-Ray and may send segments, nothing more on "*".
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { buildLetheUnderMocks, installPulumiMocks, MockedProgram, settle } from "../support/pulumiMocks";
import { configDefaults } from "../../infra/config";
import { letheFunctions, taskFunctions } from "../../runtime/contracts/functions";
import { workflowTasks } from "../../runtime/erasure/workflow/definition";
import { requestIdempotencyPrefix } from "../../runtime/erasure/idempotencyRecord";

const root = path.resolve(__dirname, "../..");

describe("infra: the table of functions", () => {
  let p: MockedProgram;
  before(async () => {
    p = await buildLetheUnderMocks();
  });

  const declaredByName = () =>
    new Map(
      p
        .ofType("aws:lambda/function:Function")
        .filter((f) => !/^lethe-dev-store-/.test(f.inputs.name))
        .map((f) => [f.inputs.name as string, f.inputs]),
    );

  it("the program declares exactly the table's functions (store functions aside)", () => {
    expect([...declaredByName().keys()].sort()).to.deep.equal(
      Object.values(letheFunctions)
        .map((f) => `lethe-dev-${f.shortName}`)
        .sort(),
    );
  });

  it("sizes, services and names each by its stack output as the table says", () => {
    const fns = declaredByName();
    for (const d of Object.values(letheFunctions)) {
      const fn = fns.get(`lethe-dev-${d.shortName}`)!;
      const [memory, timeout] =
        d.shortName === "purge"
          ? [configDefaults.purgeFunctionMemoryMb, configDefaults.purgeFunctionTimeoutSeconds]
          : [fn.memorySize, fn.timeout];
      expect([memory, timeout], d.shortName).to.deep.equal([d.memorySizeMb, d.timeoutSeconds]);
      expect(fn.environment.variables.POWERTOOLS_SERVICE_NAME, d.shortName).to.equal(d.serviceName);
      expect(p.outputs?.[d.output], d.shortName).to.equal(`lethe-dev-${d.shortName}`);
    }
    // The request function's idempotency records are keyed by its service name.
    expect(letheFunctions.request.serviceName).to.equal(requestIdempotencyPrefix);
  });

  it("the program's entry exports every stack output, each function's among them", async () => {
    const program = installPulumiMocks();
    const entry = require.resolve("../../infra/index");
    delete require.cache[entry];
    const exported = Object.keys(require(entry));
    expect(exported).to.include.members(Object.values(letheFunctions).map((f) => f.output));
    expect(exported.sort()).to.deep.equal(Object.keys(p.outputs ?? {}).sort());
    await settle(program);
  });

  it("each has its handler module and a sample console event in events/", () => {
    for (const d of Object.values(letheFunctions)) {
      expect(fs.existsSync(path.join(root, `${d.handlerModule}.ts`)), d.handlerModule).to.equal(true);
      const event = path.join(root, "events", `${d.shortName}.json`);
      expect(fs.existsSync(event), event).to.equal(true);
      JSON.parse(fs.readFileSync(event, "utf8"));
    }
  });

  it("the state machine's tasks are the table's task map, each backed by its function", () => {
    expect(workflowTasks).to.deep.equal(Object.keys(taskFunctions));
    const machine = p.ofType("aws:sfn/stateMachine:StateMachine")[0].inputs;
    const definition = JSON.stringify(machine.definition);
    for (const key of Object.values(taskFunctions)) {
      // The approval task is in the machine only where approval is required.
      if (key === "requestApproval" && !configDefaults.approvalRequired) continue;
      expect(definition, key).to.contain(`function:lethe-dev-${letheFunctions[key].shortName}`);
    }
  });

  it("traces every function, the state machine and the API stage with X-Ray", () => {
    for (const fn of p.ofType("aws:lambda/function:Function"))
      expect(fn.inputs.tracingConfig, fn.inputs.name).to.deep.equal({ mode: "Active" });
    expect(p.ofType("aws:sfn/stateMachine:StateMachine")[0].inputs.tracingConfiguration).to.deep.equal({
      enabled: true,
    });
    expect(p.ofType("aws:apigateway/stage:Stage")[0].inputs.xrayTracingEnabled).to.equal(true);
  });

  it('grants each function the two X-Ray send actions on "*" and nothing else there but VPC describes', () => {
    for (const policy of p.ofType("aws:iam/rolePolicy:RolePolicy")) {
      const fnRole = /-policy$/.test(policy.name);
      if (!fnRole) continue;
      const doc = JSON.parse(policy.inputs.policy);
      const onEverything = doc.Statement.filter((s: { Resource: string | string[] }) =>
        [s.Resource].flat().includes("*"),
      );
      for (const s of onEverything)
        expect([s.Sid, [s.Action].flat()], policy.name).to.deep.oneOf([
          ["WriteTraces", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]],
          ["DescribeNetwork", ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]],
          // The state machine's log delivery (infra/erasure/workflow.ts).
          [
            "DeliverLogs",
            [
              "logs:CreateLogDelivery",
              "logs:GetLogDelivery",
              "logs:UpdateLogDelivery",
              "logs:DeleteLogDelivery",
              "logs:ListLogDeliveries",
              "logs:PutResourcePolicy",
              "logs:DescribeResourcePolicies",
              "logs:DescribeLogGroups",
            ],
          ],
        ]);
    }
    const fns = p.ofType("aws:lambda/function:Function");
    const traced = p
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((r) =>
        JSON.parse(r.inputs.policy).Statement.some((s: { Sid?: string }) => s.Sid === "WriteTraces"),
      );
    expect(traced.length).to.equal(fns.length);
  });
});
