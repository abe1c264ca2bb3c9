// The erasure workflow as the whole program declares it (createLethe under mocks): the state machine
// over our own functions, every workflow and operator function with its own role, DLQ and log group,
// least privilege on the tables, prefixes and the machine, the schedules, alarms, dashboard, outputs.
import { expect } from "chai";
import {
  buildLetheUnderMocks,
  mockAccount,
  mockIdentity,
  mockRegion,
  MockedProgram,
} from "../support/pulumiMocks";
import { configDefaults, ConfigError, validateConfig } from "../../infra/config";
import { envNames } from "../../runtime/contracts/env";
import { workflowDefinition, workflowTasks } from "../../runtime/erasure/workflow/definition";
import { watchedStates } from "../../runtime/erasure/deadlines";
import { requestIdsRoot } from "../../runtime/contracts/lakeSchema";
import type { StackOutputs } from "../../runtime/contracts/stack";
import type { Env } from "../../runtime/contracts/env";
import { createRequestHandler } from "../../runtime/handlers/request";
import { createBatchHandler } from "../../runtime/handlers/batch";
import { createStatusHandler } from "../../runtime/handlers/status";
import { createApprovalHandler } from "../../runtime/handlers/approval";
import { createCancelHandler } from "../../runtime/handlers/cancel";
import { createDeadlineHandler } from "../../runtime/handlers/deadline";
import { createFindHandler } from "../../runtime/handlers/find";
import { createRequestApprovalHandler } from "../../runtime/handlers/requestApproval";
import { createEnqueuePurgesHandler } from "../../runtime/handlers/enqueuePurges";
import { createPollLedgerHandler } from "../../runtime/handlers/pollLedger";
import { createVerifyHandler } from "../../runtime/handlers/verify";
import { createReportHandler } from "../../runtime/handlers/report";
import { createNeedsAttentionHandler } from "../../runtime/handlers/needsAttention";

/** Each function's handler factory, by the function's component name. */
const factories: Record<string, (env: Env) => unknown> = {
  "lethe-find-function": createFindHandler,
  "lethe-tasks-request-approval": createRequestApprovalHandler,
  "lethe-tasks-enqueue-purges": createEnqueuePurgesHandler,
  "lethe-tasks-poll-ledger": createPollLedgerHandler,
  "lethe-tasks-verify": createVerifyHandler,
  "lethe-tasks-report": createReportHandler,
  "lethe-tasks-needs-attention": createNeedsAttentionHandler,
  "lethe-operations-request": createRequestHandler,
  "lethe-operations-batch": createBatchHandler,
  "lethe-operations-status": createStatusHandler,
  "lethe-operations-approval": createApprovalHandler,
  "lethe-operations-cancel": createCancelHandler,
  "lethe-operations-deadline": createDeadlineHandler,
};

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

/** The workflow and operator functions: component name -> Lambda short name. */
const workflowFunctions: Record<string, string> = {
  "lethe-tasks-request-approval": "request-approval",
  "lethe-tasks-enqueue-purges": "enqueue-purges",
  "lethe-tasks-poll-ledger": "poll-ledger",
  "lethe-tasks-verify": "verify",
  "lethe-tasks-report": "report",
  "lethe-tasks-needs-attention": "needs-attention",
  "lethe-operations-request": "request",
  "lethe-operations-batch": "batch",
  "lethe-operations-status": "status",
  "lethe-operations-approval": "approval",
  "lethe-operations-cancel": "cancel",
  "lethe-operations-opt-in": "opt-in",
  "lethe-operations-deadline": "deadline",
};
const lambdaArn = (short: string) =>
  `arn:aws:lambda:${mockRegion}:${mockAccount}:function:lethe-dev-${short}`;
const machineArn = `arn:aws:states:${mockRegion}:${mockAccount}:stateMachine:lethe-dev-erasure`;
type State = Record<string, unknown>;

/** Every Task state, nested ones (Parallel branches, Map iterators) by their path. */
function taskStates(states: Record<string, State>, path = ""): [string, State][] {
  return Object.entries(states).flatMap(([name, s]): [string, State][] => {
    const here: [string, State][] = s.Type === "Task" ? [[`${path}${name}`, s]] : [];
    const branches = [...((s.Branches as { States: Record<string, State> }[]) ?? [])];
    const inner = (s.ItemProcessor ?? s.Iterator) as { States: Record<string, State> } | undefined;
    if (inner) branches.push(inner);
    return [...here, ...branches.flatMap((b) => taskStates(b.States, `${path}${name}/`))];
  });
}

const settings = { approvalRequired: true, approvalTimeoutHours: 48, drainSeconds: 1200 };

describe("infra: the erasure workflow in the program under mocks", () => {
  let p: MockedProgram;
  const statements = (component: string): Statement[] =>
    JSON.parse(p.named(`${component}-policy`).inputs.policy).Statement;
  const actionsOn = (resource: string) =>
    p
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .flatMap((r) => (JSON.parse(r.inputs.policy).Statement as Statement[]).map((s) => ({ r: r.name, s })))
      .filter(({ s }) => [s.Resource].flat().some((x) => x.startsWith(resource)));

  before(async () => {
    p = await buildLetheUnderMocks(settings);
  });

  it("declares the state machine with the definition built from the settings, each Task on one of our functions", () => {
    const machine = p.named("lethe-workflow-machine").inputs;
    const definition = JSON.parse(machine.definition);
    const functionArns = Object.fromEntries(
      workflowTasks.map((t) => [t, lambdaArn(t.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))]),
    );
    expect(definition).to.deep.equal(
      workflowDefinition({
        functionArns: functionArns as Parameters<typeof workflowDefinition>[0]["functionArns"],
        approvalRequired: true,
        drainSeconds: 1200,
        ledgerPollSeconds: configDefaults.ledgerPollSeconds,
        maxVerifyRounds: configDefaults.maxVerifyRounds,
        approvalTimeoutSeconds: 48 * 3600,
        taskTimeoutSeconds: 900,
      }),
    );
    const ours = new Set(
      p.ofType("aws:lambda/function:Function").map((f) => lambdaArn(f.inputs.name.slice(10))),
    );
    const tasks = taskStates(definition.States);
    expect(tasks.map(([n]) => n)).to.include.members([
      "Find",
      "RequestApproval",
      "EraseEverywhere/EnqueuePurges",
      "EraseEverywhere/PollLedger",
      "EraseEverywhere/Verify",
      "Report",
      "NeedsAttention",
      "AttentionReport",
    ]);
    for (const [name, s] of tasks) {
      const target =
        s.Resource === "arn:aws:states:::lambda:invoke.waitForTaskToken"
          ? (s.Parameters as { FunctionName: string }).FunctionName
          : (s.Resource as string);
      expect(ours.has(target), `${name} runs ${target}`).to.equal(true);
      expect(s.Retry, name).to.be.an("array").with.length.greaterThan(0);
      // Every task's failure is caught (the batch ends NEEDS_ATTENTION); that task's own end is the Fail state.
      if (name !== "NeedsAttention") expect(s.Catch, name).to.be.an("array").with.length.greaterThan(0);
      else expect(s.Next).to.equal("AttentionReport");
    }
  });

  it("gives every workflow and operator function its own role, dead-letter queue and KMS log group", () => {
    const roles = new Set<string>();
    for (const [component, short] of Object.entries(workflowFunctions)) {
      const fn = p.named(`${component}-function`).inputs;
      expect(fn.name).to.equal(`lethe-dev-${short}`);
      expect(fn.runtime).to.equal("nodejs22.x");
      expect(fn.deadLetterConfig.targetArn).to.equal(
        mockIdentity("aws:sqs/queue:Queue", `${component}-dlq`).arn,
      );
      expect(p.named(`${component}-dlq`).inputs.kmsMasterKeyId).to.match(/^arn:aws:kms:/);
      const logs = p.named(`${component}-logs`).inputs;
      expect(logs).to.include({
        name: `/aws/lambda/lethe-dev-${short}`,
        retentionInDays: configDefaults.logRetentionDays,
      });
      expect(logs.kmsKeyId).to.match(/^arn:aws:kms:/);
      expect(fn.loggingConfig.logGroup).to.equal(logs.name);
      roles.add(fn.role);
      expect(p.named(`${component}-policy`).inputs.role).to.equal(
        mockIdentity("aws:iam/role:Role", `${component}-role`).name,
      );
    }
    expect(roles.size).to.equal(Object.keys(workflowFunctions).length);
  });

  it("names every action and every table: no '*' action, no wildcard on our tables", () => {
    for (const component of Object.keys(workflowFunctions)) {
      for (const s of statements(component)) {
        for (const a of [s.Action].flat()) expect(a, `${component} ${s.Sid}`).not.to.match(/\*/);
        for (const r of [s.Resource].flat()) {
          // Only X-Ray's resource-less actions are granted on "*".
          if (r === "*")
            expect(s.Action, `${component} ${s.Sid}`).to.deep.equal([
              "xray:PutTraceSegments",
              "xray:PutTelemetryRecords",
            ]);
          if (r.startsWith("arn:aws:dynamodb:"))
            expect(r, `${component} ${s.Sid}`).to.match(
              /^arn:aws:dynamodb:[^:]+:\d+:table\/[A-Za-z0-9.-]+(\/index\/\*)?$/,
            );
        }
      }
    }
  });

  it("lets only batch start the machine (and describe its executions, for lethe retry), deadline describe them (stranded batches), cancel stop them, approval answer its task tokens", () => {
    const onMachine = actionsOn(machineArn.replace(":stateMachine:", ":"))
      .concat(actionsOn(machineArn))
      .concat(actionsOn(machineArn.replace(":stateMachine:", ":execution:")));
    const granted = [
      ...new Set(
        onMachine.map(
          ({ r, s }) => `${r}: ${[s.Action].flat().join(",")} on ${[s.Resource].flat().join(",")}`,
        ),
      ),
    ].sort();
    expect(granted).to.deep.equal([
      `lethe-operations-approval-policy: states:SendTaskSuccess on ${machineArn}`,
      `lethe-operations-batch-policy: states:DescribeExecution on ${machineArn.replace(":stateMachine:", ":execution:")}:*`,
      `lethe-operations-batch-policy: states:StartExecution on ${machineArn}`,
      `lethe-operations-cancel-policy: states:StopExecution on ${machineArn.replace(":stateMachine:", ":execution:")}:*`,
      `lethe-operations-deadline-policy: states:DescribeExecution on ${machineArn.replace(":stateMachine:", ":execution:")}:*`,
    ]);
    const env = (c: string) => p.named(`${c}-function`).inputs.environment.variables;
    for (const c of ["batch", "approval", "cancel"])
      expect(env(`lethe-operations-${c}`)[envNames.stateMachineArn]).to.equal(machineArn);
    // The machine's role invokes exactly the task functions.
    const invoke = (JSON.parse(p.named("lethe-workflow-policy").inputs.policy).Statement as Statement[]).find(
      (s) => s.Sid === "InvokeTaskFunctions",
    )!;
    expect(
      [invoke.Resource]
        .flat()
        .filter((r) => !r.endsWith(":*"))
        .sort(),
    ).to.deep.equal(
      ["find", "request-approval", "enqueue-purges", "poll-ledger", "verify", "report", "needs-attention"]
        .map(lambdaArn)
        .sort(),
    );
  });

  it("keeps raw IDs and reports on their own prefixes: request writes erasure-requests/, report writes reports/ and drops the raw IDs", () => {
    const lake = mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-data").name;
    const reports = mockIdentity("aws:s3/bucket:Bucket", "lethe-reports").name;
    const s3Writes = (component: string) =>
      statements(component)
        .filter((s) => [s.Action].flat().some((a) => a === "s3:PutObject" || a.startsWith("s3:Delete")))
        .flatMap((s) => [s.Resource].flat())
        .sort();
    const audit = mockIdentity("aws:s3/bucket:Bucket", "lethe-audit").name;
    expect(s3Writes("lethe-operations-request")).to.deep.equal([
      `arn:aws:s3:::${audit}/audit/*`,
      `arn:aws:s3:::${lake}/${requestIdsRoot}*`,
    ]);
    expect(s3Writes("lethe-tasks-report")).to.include.members([
      `arn:aws:s3:::${reports}/reports/*`,
      `arn:aws:s3:::${lake}/erasure-requests/*`,
      `arn:aws:s3:::${lake}/erasure-manifests/*`,
    ]);
    for (const c of ["lethe-operations-status", "lethe-tasks-poll-ledger"])
      expect(s3Writes(c), c).to.deep.equal([]);
    // Functions that move requests or decide audit it (large details under the audit bucket's audit/).
    for (const c of ["lethe-operations-approval", "lethe-tasks-request-approval", "lethe-operations-opt-in"])
      expect(s3Writes(c), c).to.deep.equal([`arn:aws:s3:::${audit}/audit/*`]);
    // A cancelled request's raw IDs are dropped at once.
    expect(s3Writes("lethe-operations-cancel")).to.deep.equal([
      `arn:aws:s3:::${audit}/audit/*`,
      `arn:aws:s3:::${lake}/${requestIdsRoot}*`,
    ]);
    const rules = p.named("lethe-reports-lifecycle").inputs.rules;
    expect(rules.find((r: { id: string }) => r.id === "expire-current-objects").expiration.days).to.equal(
      configDefaults.reportRetentionDays,
    );
    expect(
      p.named("lethe-tasks-report-function").inputs.environment.variables[envNames.reportBucket],
    ).to.equal(reports);
  });

  it("runs batch and deadline on their schedules, each rule allowed to invoke its function only", () => {
    for (const [label, expression] of [
      ["batch", configDefaults.batchSchedule],
      ["deadline", configDefaults.deadlineSchedule],
    ]) {
      const rule = p.named(`lethe-operations-${label}-schedule`).inputs;
      expect(rule.scheduleExpression).to.equal(expression);
      expect(p.named(`lethe-operations-${label}-target`).inputs.arn).to.equal(lambdaArn(label));
      const permission = p.named(`lethe-operations-${label}-permission`).inputs;
      expect(permission).to.include({ principal: "events.amazonaws.com", function: `lethe-dev-${label}` });
      expect(permission.sourceArn).to.equal(
        mockIdentity("aws:cloudwatch/eventRule:EventRule", `lethe-operations-${label}-schedule`).arn,
      );
    }
    const deadlineEnv = p.named("lethe-operations-deadline-function").inputs.environment.variables;
    expect(deadlineEnv[envNames.deadlineWarningDays]).to.equal(String(configDefaults.deadlineWarningDays));
    const batchEnv = p.named("lethe-operations-batch-function").inputs.environment.variables;
    expect(batchEnv[envNames.batchMaxSubjects]).to.equal(String(configDefaults.batchMaxSubjects));
    // The request function splits a larger request into parts of a batch each.
    const requestEnv = p.named("lethe-operations-request-function").inputs.environment.variables;
    expect(requestEnv[envNames.batchMaxSubjects]).to.equal(String(configDefaults.batchMaxSubjects));
  });

  it("sets only environment names runtime/contracts/env.ts declares", () => {
    const known = new Set<string>(Object.values(envNames));
    for (const component of Object.keys(workflowFunctions)) {
      const vars = Object.keys(p.named(`${component}-function`).inputs.environment.variables);
      for (const v of vars)
        if (!v.startsWith("POWERTOOLS_")) expect(known.has(v), `${component}: ${v}`).to.equal(true);
      expect(vars, component).to.include.members([envNames.requestsTable, envNames.subjectHashKeyArn]);
    }
    const request = p.named("lethe-operations-request-function").inputs.environment.variables;
    expect(request[envNames.idempotencyTable]).to.equal(
      p.named("lethe-tables-idempotency").inputs.name ?? request[envNames.idempotencyTable],
    );
    expect(request[envNames.filterBuilderFunction]).to.equal("lethe-dev-filter-builder");
  });

  it("gives each handler every environment variable it reads at cold start", () => {
    for (const [component, factory] of Object.entries(factories)) {
      const env = p.named(`${component}-function`).inputs.environment.variables as Env;
      expect(() => factory(env), component).not.to.throw();
    }
  });

  it("alarms on the deadline metrics, on every function's dead-letter queue and on every function's errors", () => {
    const alarms = p.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
    const due = p.named("lethe-alerts-requests-due-soon").inputs;
    const overdue = p.named("lethe-alerts-requests-overdue").inputs;
    expect([due.metricName, overdue.metricName]).to.deep.equal(["RequestsDueSoon", "RequestsOverdue"]);
    expect(due.dimensions).to.deep.equal({ service: "lethe-deadline" });
    const dlqAlarmed = new Set(
      alarms
        .filter((a) => a.inputs.metricName === "ApproximateNumberOfMessagesVisible")
        .map((a) => a.inputs.dimensions.QueueName),
    );
    const errorsAlarmed = new Set(
      alarms.filter((a) => a.inputs.metricName === "Errors").map((a) => a.inputs.dimensions.FunctionName),
    );
    for (const fn of p.ofType("aws:lambda/function:Function")) {
      expect(errorsAlarmed.has(fn.inputs.name), fn.inputs.name).to.equal(true);
      const dlq = fn.inputs.deadLetterConfig.targetArn.split(":").pop();
      expect(dlqAlarmed.has(dlq), `${fn.inputs.name}'s DLQ`).to.equal(true);
    }
    for (const a of alarms) expect(a.inputs.alarmActions, a.name).to.have.length(1);
  });

  it("builds a dashboard of requests by state, oldest open request, DLQ depth, function errors, bytes scanned", () => {
    const body = JSON.parse(p.named("lethe-operations-view-dashboard").inputs.dashboardBody);
    const byTitle = Object.fromEntries(
      body.widgets.map((w: { properties: { title: string; metrics: unknown[][] } }) => [
        w.properties.title,
        w.properties.metrics,
      ]),
    );
    expect(Object.keys(byTitle)).to.include.members([
      "Erasure requests by state",
      "Oldest open request (days) and deadlines",
      "Dead-letter queue depth",
      "Function errors",
      "Athena bytes scanned by find",
    ]);
    expect(byTitle["Erasure requests by state"].map((m: string[]) => m[5])).to.deep.equal([...watchedStates]);
    expect(byTitle["Athena bytes scanned by find"][0].slice(0, 4)).to.deep.equal([
      "Lethe",
      "FindBytesScanned",
      "service",
      "lethe-find",
    ]);
    expect(byTitle["Function errors"]).to.have.length(p.ofType("aws:lambda/function:Function").length);
    expect(byTitle["Dead-letter queue depth"]).to.have.length(
      p.ofType("aws:lambda/function:Function").length + 1,
    );
  });

  it("exports the workflow's resources and settings", () => {
    const o = p.outputs as unknown as StackOutputs;
    expect(o).to.include({
      stateMachineArn: machineArn,
      approvalRequired: true,
      reportBucket: mockIdentity("aws:s3/bucket:Bucket", "lethe-reports").name,
      requestFunction: "lethe-dev-request",
      batchFunction: "lethe-dev-batch",
      statusFunction: "lethe-dev-status",
      approvalFunction: "lethe-dev-approval",
      cancelFunction: "lethe-dev-cancel",
      optInFunction: "lethe-dev-opt-in",
      deadlineFunction: "lethe-dev-deadline",
      requestApprovalFunction: "lethe-dev-request-approval",
      enqueuePurgesFunction: "lethe-dev-enqueue-purges",
      pollLedgerFunction: "lethe-dev-poll-ledger",
      verifyFunction: "lethe-dev-verify",
      reportFunction: "lethe-dev-report",
      needsAttentionFunction: "lethe-dev-needs-attention",
      operationsDashboard: "lethe-dev-operations",
    });
    expect(o.idempotencyTable).to.match(/^lethe-tables-idempotency-/);
    expect(o.workflowSettings).to.deep.equal({
      approvalRequired: true,
      drainSeconds: 1200,
      ledgerPollSeconds: configDefaults.ledgerPollSeconds,
      maxVerifyRounds: configDefaults.maxVerifyRounds,
      approvalTimeoutSeconds: 48 * 3600,
      taskTimeoutSeconds: 900,
      batchMaxSubjects: configDefaults.batchMaxSubjects,
      deadlineWarningDays: configDefaults.deadlineWarningDays,
    });
  });
});

describe("infra: the stores' branches in the deployed state machine", () => {
  it("runs each configured store's function from the definition, and the machine's role may invoke it", async () => {
    const p = await buildLetheUnderMocks({
      stores: [
        {
          name: "profiles",
          kind: "dynamodb",
          owner: "crm@example.com",
          table: "profiles",
          idAttribute: "customerId",
        },
      ],
    });
    const store = lambdaArn("store-profiles");
    const definition = p.named("lethe-workflow-machine").inputs.definition as string;
    expect(JSON.parse(definition).States.EraseEverywhere).to.be.an("object");
    expect(definition).to.include(JSON.stringify({ name: "profiles", functionArn: store }).slice(1, -1));
    const invoke = (JSON.parse(p.named("lethe-workflow-policy").inputs.policy).Statement as Statement[]).find(
      (s) => s.Sid === "InvokeTaskFunctions",
    )!;
    expect(invoke.Resource).to.include.members([store, `${store}:*`]);
  });
});

describe("infra: the workflow settings refuse bad values before any resource", () => {
  for (const [setting, value, message] of [
    ["drainSeconds", 60, /lethe:drainSeconds: must be at least the ingest path's latency, 720 s/],
    ["batchSchedule", "every hour", /lethe:batchSchedule: must be an EventBridge schedule/],
    ["deadlineSchedule", "rate(often)", /lethe:deadlineSchedule: must be an EventBridge schedule/],
    ["batchMaxSubjects", 10_001, /lethe:batchMaxSubjects: must be a whole number from 1 to 10000/],
    [
      "approvalTimeoutHours",
      30 * 24,
      /lethe:approvalTimeoutHours: must be shorter than lethe:erasureDeadlineDays/,
    ],
    ["deadlineWarningDays", 30, /lethe:deadlineWarningDays: must be shorter than lethe:erasureDeadlineDays/],
    ["ledgerPollSeconds", 1, /lethe:ledgerPollSeconds: must be a whole number from 5/],
    ["maxVerifyRounds", 0, /lethe:maxVerifyRounds/],
    ["reportRetentionDays", 0, /lethe:reportRetentionDays/],
    ["approvalRequired", "yes", /lethe:approvalRequired: must be true or false/],
  ] as const) {
    it(`${setting}=${JSON.stringify(value)}`, () => {
      expect(() => validateConfig({ ...configDefaults, [setting]: value }))
        .to.throw(ConfigError, message)
        .with.property("setting", setting);
    });
  }
});
