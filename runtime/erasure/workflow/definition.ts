// The erasure state machine (../shared/WORKFLOW.md) as one pure function of its settings: the program
// declares it as the deployed definition, and local mode runs the very same JSON in an in-process ASL
// interpreter. JSONPath only (no JSONata, no Variables, no Distributed Map), so both run it alike.
//
// Execution history stays small whatever the batch size: objects are purged by the SQS-fed purge
// function, and the machine only polls the batch's ledger counters with a Wait between polls.
//
// After find (and approval) one Parallel state, EraseEverywhere, runs the lake's forget-verify loop
// beside the stores' branches (storeBranches.ts); with no stores configured it has the lake alone.
import { taskFunctions } from "../../contracts/functions";
import { checkWorkflowStores, eraseEverywhereStates, WorkflowStore } from "./storeBranches";

export type { WorkflowStore } from "./storeBranches";
export { workflowStores } from "./storeBranches";

/**
 * The Task states, each backed by one thin handler: the table of functions' task map
 * (runtime/contracts/functions.ts) names the function behind each.
 */
export type WorkflowTask = keyof typeof taskFunctions;
export const workflowTasks = Object.keys(taskFunctions) as WorkflowTask[];

export interface WorkflowDefinitionSettings {
  /** The Lambda ARN behind each task. */
  functionArns: Record<WorkflowTask, string>;
  /** Wait for a human decision on the plan before anything is purged. */
  approvalRequired: boolean;
  /** How long records in flight at intake may still take to land (Firehose + processor buffers, filter refresh, cache TTL). */
  drainSeconds: number;
  /** Pause between two polls of the batch ledger. */
  ledgerPollSeconds: number;
  /** Verify rounds that may send new hits back to forget before the batch needs attention. */
  maxVerifyRounds: number;
  /** How long an approver has before the batch needs attention (the execution's task-token timeout). */
  approvalTimeoutSeconds: number;
  /** How long one task may run (at least the longest task function's timeout). */
  taskTimeoutSeconds: number;
  /** The stores beyond the lake (`lethe:stores`), each with its function's ARN; none by default. */
  stores?: WorkflowStore[];
  /** First pause between two polls of an async subsystem, doubled per poll (default 60). */
  storePollSeconds?: number;
  /** Longest pause between two polls of an async subsystem (default 3600). */
  storeMaxPollSeconds?: number;
}

type State = Record<string, unknown>;

/** Transient Lambda faults worth retrying; anything else goes to the batch's NeedsAttention. */
const lambdaRetry = [
  {
    ErrorEquals: [
      "Lambda.ServiceException",
      "Lambda.AWSLambdaException",
      "Lambda.SdkClientException",
      "Lambda.TooManyRequestsException",
      "States.Timeout",
    ],
    IntervalSeconds: 2,
    MaxAttempts: 4,
    BackoffRate: 2,
    JitterStrategy: "FULL",
  },
];

/** Any unhandled failure: keep the input, put the error beside it, and end the batch NEEDS_ATTENTION. */
const toNeedsAttention = [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "NeedsAttention" }];
/** Inside the lake's branch a failure ends the branch (LakeFailed), so the stores' branches finish. */
const toLakeFailed = [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "LakeFailed" }];

function task(
  resource: string,
  timeoutSeconds: number,
  next: string | undefined,
  extra: State = {},
  catchers: readonly State[] = toNeedsAttention,
): State {
  return {
    Type: "Task",
    Resource: resource,
    TimeoutSeconds: timeoutSeconds,
    ...extra,
    Retry: lambdaRetry,
    Catch: catchers,
    ...(next ? { Next: next } : { End: true }),
  };
}

/**
 * The definition. Execution input: `{ "batchId": "...", "deadline": "<ISO time>" }`, and to resume a
 * batch at its forget round `{ ..., "resume": { "round": n, "plan": { "location": {...} } } }`. Each task gets what
 * its Parameters pick and returns what it adds under its ResultPath (counts and locations, never an ID):
 * find -> the plan summary; pollLedger -> `{ done, pastDeadline, failed }`; verify -> `{ hits, retry, nextRound,
 * plan }`; requestApproval's token is answered with `{ decision: "approve" | "reject", ... }`.
 * EraseEverywhere (a Parallel: the lake's loop and each store kind's Map) puts every branch's outcome
 * at `$.outcome` (storeBranches.ts); Report runs only when all are ok, else NeedsAttention gets
 * `$.failure` = `{ Error: "Lethe.NotErasedEverywhere", Cause: <the outcome as JSON> }`.
 */
export function workflowDefinition(s: WorkflowDefinitionSettings): Record<string, unknown> {
  for (const [name, n] of Object.entries({
    drainSeconds: s.drainSeconds,
    ledgerPollSeconds: s.ledgerPollSeconds,
    maxVerifyRounds: s.maxVerifyRounds,
    approvalTimeoutSeconds: s.approvalTimeoutSeconds,
    taskTimeoutSeconds: s.taskTimeoutSeconds,
    storePollSeconds: s.storePollSeconds ?? 60,
    storeMaxPollSeconds: s.storeMaxPollSeconds ?? 3600,
  })) {
    if (!Number.isInteger(n) || n < (name === "drainSeconds" ? 0 : 1)) {
      throw new Error(
        `workflow: ${name} must be a whole number${name === "drainSeconds" ? "" : " above 0"}, got ${n}`,
      );
    }
  }
  const stores = s.stores ?? [];
  checkWorkflowStores(stores);
  const fn = s.functionArns;
  const states: Record<string, State> = {
    // The round lives at $.round, set here and by ForgetAgain, so no path depends on a task's reply
    // (a missing path is a States.Runtime error, which no Catch catches).
    // `lethe retry` (runtime/erasure/retry.ts) starts a stopped batch again with `$.resume`: from its
    // last forget round (the same plan; objects the ledger has done are not sent again), else from Find.
    ResumeOrStart: {
      Type: "Choice",
      Choices: [{ Variable: "$.resume", IsPresent: true, Next: "Resume" }],
      Default: "Start",
    },
    Resume: {
      Type: "Pass",
      Parameters: {
        "batchId.$": "$.batchId",
        "deadline.$": "$.deadline",
        "round.$": "$.resume.round",
        "plan.$": "$.resume.plan",
        resumed: true,
      },
      Next: "EraseEverywhere",
    },
    Start: {
      Type: "Pass",
      Parameters: { "batchId.$": "$.batchId", "deadline.$": "$.deadline", round: 0, resumed: false },
      Next: "Find",
    },
    Find: task(fn.find, s.taskTimeoutSeconds, s.approvalRequired ? "RequestApproval" : "EraseEverywhere", {
      Parameters: { "batchId.$": "$.batchId", "round.$": "$.round" },
      ResultPath: "$.plan",
    }),
    ...(s.approvalRequired
      ? {
          RequestApproval: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
            Parameters: {
              FunctionName: fn.requestApproval,
              Payload: { "batchId.$": "$.batchId", "plan.$": "$.plan", "taskToken.$": "$$.Task.Token" },
            },
            TimeoutSeconds: s.approvalTimeoutSeconds,
            ResultPath: "$.approval",
            Retry: lambdaRetry,
            Catch: toNeedsAttention,
            Next: "ApprovalDecision",
          },
          ApprovalDecision: {
            Type: "Choice",
            Choices: [{ Variable: "$.approval.decision", StringEquals: "approve", Next: "EraseEverywhere" }],
            Default: "Report",
          },
        }
      : {}),
    ...eraseEverywhereStates(
      { StartAt: "EnqueuePurges", States: lakeStates(s) },
      {
        stores,
        storePollSeconds: s.storePollSeconds ?? 60,
        storeMaxPollSeconds: s.storeMaxPollSeconds ?? 3600,
        taskTimeoutSeconds: s.taskTimeoutSeconds,
        retry: lambdaRetry,
      },
      {
        parallel: "EraseEverywhere",
        done: "Report",
        needsAttention: "NeedsAttention",
        catchAll: toNeedsAttention,
      },
    ),
    Report: task(fn.report, s.taskTimeoutSeconds, undefined, { ResultPath: "$.report" }),
    NeedsAttention: {
      Type: "Task",
      Resource: fn.needsAttention,
      TimeoutSeconds: s.taskTimeoutSeconds,
      ResultPath: "$.attention",
      Retry: lambdaRetry,
      Next: "AttentionReport",
    },
    // The report task sees `$.attention` and writes each request a signed NOT_COMPLETED report of what
    // was done so far and why; the requests stay NEEDS_ATTENTION for `lethe retry`. Should it fail, the
    // batch still ends Failed (the alert has gone out).
    AttentionReport: {
      Type: "Task",
      Resource: fn.report,
      TimeoutSeconds: s.taskTimeoutSeconds,
      ResultPath: "$.attentionReport",
      Retry: lambdaRetry,
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.attentionReportFailure", Next: "Failed" }],
      Next: "Failed",
    },
    Failed: {
      Type: "Fail",
      Error: "Lethe.NeedsAttention",
      Cause: "The batch needs attention: see its status and the alert",
    },
  };
  return {
    Comment:
      "Lethe erasure batch: find, plan, approval, then the lake (forget, drain, verify) and the stores in parallel, report",
    StartAt: "ResumeOrStart",
    States: states,
  };
}

/**
 * The lake's branch of EraseEverywhere: enqueue, poll the ledger, drain, verify, and again while verify
 * finds new hits. It ends with `{ ok, ... }` (LakeErased, or one of the Lake* outcomes that need
 * attention), never with a Fail, so the stores' branches always finish.
 */
function lakeStates(s: WorkflowDefinitionSettings): Record<string, State> {
  const fn = s.functionArns;
  const notErased = (error: string, cause: string, extra: State = {}): State => ({
    Type: "Pass",
    Parameters: { kind: "lake", ok: false, failure: { Error: error, Cause: cause }, ...extra },
    End: true,
  });
  return {
    EnqueuePurges: task(
      fn.enqueuePurges,
      s.taskTimeoutSeconds,
      "WaitForLedger",
      {
        Parameters: {
          "batchId.$": "$.batchId",
          "round.$": "$.round",
          "plan.$": "$.plan",
          "resumed.$": "$.resumed",
        },
        ResultPath: "$.forget",
      },
      toLakeFailed,
    ),
    WaitForLedger: { Type: "Wait", Seconds: s.ledgerPollSeconds, Next: "PollLedger" },
    PollLedger: task(
      fn.pollLedger,
      s.taskTimeoutSeconds,
      "ForgetDone",
      {
        Parameters: { "batchId.$": "$.batchId", "deadline.$": "$.deadline", "round.$": "$.round" },
        ResultPath: "$.forget",
      },
      toLakeFailed,
    ),
    ForgetDone: {
      Type: "Choice",
      Choices: [
        // Done, but with objects the purge could not forget (their reasons at $.forget.reason).
        { Variable: "$.forget.failed", BooleanEquals: true, Next: "LakeForgetFailed" },
        { Variable: "$.forget.done", BooleanEquals: true, Next: "Drain" },
        { Variable: "$.forget.pastDeadline", BooleanEquals: true, Next: "LakePastDeadline" },
      ],
      Default: "WaitForLedger",
    },
    Drain: { Type: "Wait", Seconds: s.drainSeconds, Next: "Verify" },
    Verify: task(
      fn.verify,
      s.taskTimeoutSeconds,
      "VerifyResult",
      {
        Parameters: { "batchId.$": "$.batchId", "round.$": "$.round", maxRounds: s.maxVerifyRounds },
        ResultPath: "$.verify",
      },
      toLakeFailed,
    ),
    VerifyResult: {
      Type: "Choice",
      Choices: [
        { Variable: "$.verify.hits", NumericEquals: 0, Next: "LakeErased" },
        { Variable: "$.verify.retry", BooleanEquals: true, Next: "ForgetAgain" },
      ],
      Default: "LakeNotVerified",
    },
    // New hits (late arrivals, racing writers) become the next round's plan; verify numbers the round.
    ForgetAgain: {
      Type: "Pass",
      Parameters: {
        "batchId.$": "$.batchId",
        "deadline.$": "$.deadline",
        "round.$": "$.verify.nextRound",
        "plan.$": "$.verify.plan",
        resumed: false,
      },
      Next: "EnqueuePurges",
    },
    LakeErased: {
      Type: "Pass",
      Parameters: { kind: "lake", ok: true, "round.$": "$.round", "verify.$": "$.verify" },
      End: true,
    },
    LakeFailed: {
      Type: "Pass",
      Parameters: { kind: "lake", ok: false, "round.$": "$.round", "failure.$": "$.failure" },
      End: true,
    },
    LakePastDeadline: notErased(
      "Lethe.ForgetPastDeadline",
      "The lake's purges were not done by the request's deadline",
      { "round.$": "$.round", "forget.$": "$.forget" },
    ),
    LakeForgetFailed: notErased(
      "Lethe.ForgetFailed",
      "Objects of the lake could not be purged (see the errors table)",
      { "round.$": "$.round", "forget.$": "$.forget" },
    ),
    LakeNotVerified: notErased(
      "Lethe.VerifyRoundsExhausted",
      "Verify still found the subjects in the lake after the last round",
      { "round.$": "$.round", "verify.$": "$.verify" },
    ),
  };
}
