// The erasure state machine under Pulumi mocks: the deployed definition is the local one, and the
// machine's role, encryption and logging are what a reviewer expects.
import { expect } from "chai";
import { installPulumiMocks, MockedProgram, settle, valueOf } from "../support/pulumiMocks";
import { ErasureWorkflow } from "../../infra/erasure/workflow";
import { workflowDefinition, workflowTasks, WorkflowTask } from "../../runtime/erasure/workflow/definition";

const functionArns = Object.fromEntries(
  workflowTasks.map((t) => [t, `arn:aws:lambda:eu-west-1:123456789012:function:lethe-dev-${t}`]),
) as Record<WorkflowTask, string>;
const settings = {
  approvalRequired: true,
  drainSeconds: 900,
  ledgerPollSeconds: 30,
  maxVerifyRounds: 3,
  approvalTimeoutSeconds: 72 * 3600,
  taskTimeoutSeconds: 900,
};

describe("infra: the erasure workflow under mocks", () => {
  let p: MockedProgram;
  let deployed: string;
  before(async () => {
    p = installPulumiMocks();
    const w = new ErasureWorkflow("lethe-workflow", {
      tags: { gdpr: "true" },
      kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k-1",
      logRetentionDays: 90,
      functionArns,
      ...settings,
    });
    deployed = await valueOf(w.definition);
    await valueOf(w.stateMachine.arn);
    await settle(p);
  });

  it("deploys exactly the definition local mode runs", () => {
    const machine = p.named("lethe-workflow-machine");
    expect(machine.inputs.definition).to.equal(deployed);
    expect(JSON.parse(deployed)).to.deep.equal(workflowDefinition({ functionArns, ...settings }));
    expect(machine.inputs).to.include({ name: "lethe-dev-erasure", type: "STANDARD" });
  });

  it("lets its role invoke only the task functions, and use the key only through Step Functions", () => {
    const policy = JSON.parse(p.named("lethe-workflow-policy").inputs.policy) as {
      Statement: {
        Sid: string;
        Action: string | string[];
        Resource: string | string[];
        Condition?: unknown;
      }[];
    };
    const invoke = policy.Statement.find((s) => s.Sid === "InvokeTaskFunctions")!;
    expect(invoke.Action).to.equal("lambda:InvokeFunction");
    expect([...invoke.Resource].sort()).to.deep.equal(
      Object.values(functionArns)
        .flatMap((a) => [a, `${a}:*`])
        .sort(),
    );
    const key = policy.Statement.find((s) => s.Sid === "EncryptExecutionData")!;
    expect(key.Condition).to.deep.equal({
      StringEquals: { "kms:ViaService": "states.eu-west-1.amazonaws.com" },
    });
    for (const s of policy.Statement) for (const a of [s.Action].flat()) expect(a).not.to.match(/\*$/);
    const trust = JSON.parse(p.named("lethe-workflow-role").inputs.assumeRolePolicy);
    expect(trust.Statement[0].Principal).to.deep.equal({ Service: "states.amazonaws.com" });
  });

  it("encrypts execution data with the stack key and logs errors without execution data", () => {
    const machine = p.named("lethe-workflow-machine").inputs;
    expect(machine.encryptionConfiguration).to.deep.include({
      type: "CUSTOMER_MANAGED_KMS_KEY",
      kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k-1",
    });
    expect(machine.loggingConfiguration).to.deep.include({ includeExecutionData: false, level: "ERROR" });
    const logs = p.named("lethe-workflow-logs").inputs;
    expect(logs).to.include({ retentionInDays: 90, kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k-1" });
    expect(machine.loggingConfiguration.logDestination).to.equal(
      "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/lethe-dev-erasure:*",
    );
  });
});
