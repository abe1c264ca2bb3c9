// The stores beyond the lake as branches of the erasure state machine (issue 14): after find (and
// approval) one Parallel state runs the lake's forget-verify loop beside one branch per store kind,
// each a Map over that kind's configured stores. Nothing in a branch can stop another: every Task
// catches its failure into a result (`ok: false` with the reason), so the Parallel always finishes
// and one Choice after it decides between the report and NeedsAttention. JSONPath only, as the rest.
//
// A store's Task calls its function through the Lambda integration (the function is picked per Map
// item) with `{ batchId, store, action, deadline, pollSeconds, maxPollSeconds }` and gets back
// `{ done, nextAction, waitSeconds, result }` (runtime/stores/batchStoreTask.ts). An async subsystem
// is polled by a Wait of `waitSeconds` (the function's backoff, bounded by the deadline) between
// calls: the history grows by a handful of events per poll, never with the number of subjects.
import type { StoreKind } from "../../contracts/stores";

/** One configured store as the definition needs it: `lethe:stores`' name and kind, and its function. */
export interface WorkflowStore {
  name: string;
  kind: StoreKind;
  /** The ARN of the store's function (`store-<name>`). */
  functionArn: string;
}

export interface StoreBranchSettings {
  stores: readonly WorkflowStore[];
  /** First pause between two polls of an async subsystem; doubled per poll up to the maximum. */
  storePollSeconds: number;
  storeMaxPollSeconds: number;
  taskTimeoutSeconds: number;
  /** The Retry list every Task carries. */
  retry: readonly unknown[];
}

type State = Record<string, unknown>;
type Branch = { StartAt: string; States: Record<string, State> };

/** Kinds in branch order, each with the prefix of its states' names (unique across the machine). */
export const storeBranchKinds: readonly { kind: StoreKind; prefix: string }[] = [
  { kind: "dynamodb", prefix: "Dynamodb" },
  { kind: "postgres", prefix: "Postgres" },
  { kind: "subsystem", prefix: "Subsystem" },
];

/** The action a store's first call asks for: a table store's whole forget, a subsystem's submit. */
export const firstStoreAction: Record<StoreKind, "forget" | "submit"> = {
  dynamodb: "forget",
  postgres: "forget",
  subsystem: "submit",
};

/** The Task states that call a store function, by kind (a local runner maps each to the functions). */
export function storeTaskStateNames(kind: StoreKind): string[] {
  const p = storeBranchKinds.find((k) => k.kind === kind)!.prefix;
  return [`${p}StoreCall`, `${p}StoreFailed`];
}

const lambdaInvoke = "arn:aws:states:::lambda:invoke";

/** What a store function's reply (the Lambda integration's Payload) becomes at `$.reply`. */
const replySelector = {
  "done.$": "$.Payload.done",
  "nextAction.$": "$.Payload.nextAction",
  "waitSeconds.$": "$.Payload.waitSeconds",
  "result.$": "$.Payload.result",
};

function kindBranch(kind: StoreKind, prefix: string, s: StoreBranchSettings): Branch {
  const stores = s.stores.filter((st) => st.kind === kind);
  const polls = kind === "subsystem";
  const call = `${prefix}StoreCall`;
  const failed = `${prefix}StoreFailed`;
  const result = `${prefix}StoreResult`;
  const payload = (action: Record<string, string>) => ({
    "batchId.$": "$.batchId",
    "store.$": "$.store",
    "deadline.$": "$.deadline",
    ...action,
    pollSeconds: s.storePollSeconds,
    maxPollSeconds: s.storeMaxPollSeconds,
  });
  const iterator: Record<string, State> = {
    // The action comes from the last reply (the Map item starts with the kind's first action), so the
    // one Task serves submit, every poll, and a submit again after an unreachable endpoint.
    [call]: {
      Type: "Task",
      Resource: lambdaInvoke,
      Parameters: {
        "FunctionName.$": "$.functionArn",
        Payload: payload({ "action.$": "$.reply.nextAction" }),
      },
      TimeoutSeconds: s.taskTimeoutSeconds,
      ResultSelector: replySelector,
      ResultPath: "$.reply",
      Retry: s.retry,
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: failed }],
      Next: polls ? `${prefix}StoreDone` : result,
    },
    ...(polls
      ? {
          [`${prefix}StoreDone`]: {
            Type: "Choice",
            Choices: [{ Variable: "$.reply.done", BooleanEquals: true, Next: result }],
            Default: `${prefix}StoreWait`,
          },
          [`${prefix}StoreWait`]: { Type: "Wait", SecondsPath: "$.reply.waitSeconds", Next: call },
        }
      : {}),
    // The function failed for good (after its retries): it records the store as failed with the
    // reason and alerts the owner, so the failure is in the report even though the call is not.
    [failed]: {
      Type: "Task",
      Resource: lambdaInvoke,
      Parameters: {
        "FunctionName.$": "$.functionArn",
        Payload: payload({ action: "fail", "failure.$": "$.failure" }),
      },
      TimeoutSeconds: s.taskTimeoutSeconds,
      ResultSelector: replySelector,
      ResultPath: "$.reply",
      Retry: s.retry,
      Catch: [
        { ErrorEquals: ["States.ALL"], ResultPath: "$.recordFailure", Next: `${prefix}StoreUnrecorded` },
      ],
      Next: result,
    },
    [`${prefix}StoreUnrecorded`]: {
      Type: "Pass",
      Parameters: {
        "store.$": "$.store",
        kind,
        ok: false,
        outcome: "failed",
        reason: "the store's function failed and could not record it: see the execution history",
        "failure.$": "$.failure",
      },
      End: true,
    },
    [result]: { Type: "Pass", OutputPath: "$.reply.result", End: true },
  };
  return {
    StartAt: `List${prefix}Stores`,
    States: {
      [`List${prefix}Stores`]: {
        Type: "Pass",
        Result: stores.map((st) => ({ name: st.name, functionArn: st.functionArn })),
        ResultPath: "$.stores",
        Next: `${prefix}Stores`,
      },
      [`${prefix}Stores`]: {
        Type: "Map",
        ItemsPath: "$.stores",
        ItemSelector: {
          "batchId.$": "$.batchId",
          "deadline.$": "$.deadline",
          "store.$": "$$.Map.Item.Value.name",
          "functionArn.$": "$$.Map.Item.Value.functionArn",
          reply: { done: false, nextAction: firstStoreAction[kind], waitSeconds: 0, result: null },
        },
        MaxConcurrency: 0,
        Iterator: { StartAt: call, States: iterator },
        // Only a fault of the Map itself lands here (each item catches its own): every store failed.
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: `${prefix}StoresFailed` }],
        End: true,
      },
      [`${prefix}StoresFailed`]: {
        Type: "Pass",
        Result: stores.map((st) => ({
          store: st.name,
          kind,
          ok: false,
          outcome: "failed",
          reason: `the ${kind} stores' Map failed: see the execution history`,
        })),
        End: true,
      },
    },
  };
}

/**
 * The Parallel state (lake branch first, then one branch per kind with stores, in storeBranchKinds
 * order) and the Choice after it. Its result, at `$.outcome`: `{ lake: {ok, ...}, dynamodb: [...],
 * postgres: [...], subsystem: [...] }` (kinds without stores left out), each store's entry
 * `{ store, kind, ok, outcome, reason? }`.
 */
export function eraseEverywhereStates(
  lake: Branch,
  s: StoreBranchSettings,
  next: { parallel: string; done: string; needsAttention: string; catchAll: readonly unknown[] },
): Record<string, State> {
  const kinds = storeBranchKinds.filter(({ kind }) => s.stores.some((st) => st.kind === kind));
  const checks = [
    { Variable: "$.outcome.lake.ok", BooleanEquals: true },
    ...kinds.flatMap(({ kind }) =>
      s.stores
        .filter((st) => st.kind === kind)
        .map((_, i) => ({ Variable: `$.outcome.${kind}[${i}].ok`, BooleanEquals: true })),
    ),
  ];
  const decided = `${next.parallel}Result`;
  return {
    [next.parallel]: {
      Type: "Parallel",
      Branches: [lake, ...kinds.map(({ kind, prefix }) => kindBranch(kind, prefix, s))],
      ResultSelector: Object.fromEntries([
        ["lake.$", "$[0]"],
        ...kinds.map(({ kind }, i) => [`${kind}.$`, `$[${i + 1}]`]),
      ]),
      ResultPath: "$.outcome",
      Catch: next.catchAll,
      Next: decided,
    },
    [decided]: {
      Type: "Choice",
      Choices: [{ ...(checks.length === 1 ? checks[0] : { And: checks }), Next: next.done }],
      Default: "NotErasedEverywhere",
    },
    // The outcome of every branch is the reason (names, outcomes and reasons: never an ID).
    NotErasedEverywhere: {
      Type: "Pass",
      Parameters: { Error: "Lethe.NotErasedEverywhere", "Cause.$": "States.JsonToString($.outcome)" },
      ResultPath: "$.failure",
      Next: next.needsAttention,
    },
  };
}

/** Checks the stores the definition is given: unique names, a kind, a function each. */
export function checkWorkflowStores(stores: readonly WorkflowStore[]): void {
  const seen = new Set<string>();
  for (const st of stores) {
    if (!storeBranchKinds.some((k) => k.kind === st.kind))
      throw new Error(
        `workflow: store ${JSON.stringify(st.name)} has an unknown kind ${JSON.stringify(st.kind)}`,
      );
    if (seen.has(st.name)) throw new Error(`workflow: store ${JSON.stringify(st.name)} is named twice`);
    if (typeof st.functionArn !== "string" || st.functionArn === "")
      throw new Error(`workflow: store ${JSON.stringify(st.name)} has no function ARN`);
    seen.add(st.name);
  }
}
