// The table of Lethe's Lambda functions: each declared once, here. Its short name (the function is
// `lethe-<stack>-<shortName>`, its sample console event events/<shortName>.json), its stack output
// (runtime/contracts/stack.ts), the Powertools service name its logs, metrics and traces carry, its
// handler module (runtime/handlers/), memory and timeout, what invokes it and what it may touch (the
// grants themselves are the program's: infra/erasure/*.ts, infra/lake/*.ts, infra/api/). The program
// sizes and names each function from here (infra/components/letheFunction.ts `declared`), the state
// machine's task map comes from `taskFunctions`, and test/infra/functionTable.test.ts checks that the
// program declares exactly these. The store functions (one per configured store) are not in it.

export interface FunctionDeclaration {
  /** kebab-case: the function is `lethe-<stack>-<shortName>`. */
  shortName: string;
  /** The stack output naming the deployed function (runtime/contracts/stack.ts takes its keys from here). */
  output: `${string}Function`;
  /** POWERTOOLS_SERVICE_NAME: its logs', metrics' and traces' service. */
  serviceName: string;
  /** The module under runtime/handlers/ exporting its create*Handler factory. */
  handlerModule: string;
  memorySizeMb: number;
  timeoutSeconds: number;
  /** What invokes it. */
  eventSources: string[];
  /** What it may touch (summary; the program grants exactly these). */
  touches: string;
}

const fn = <O extends `${string}Function`>(
  shortName: string,
  output: O,
  handlerModule: string,
  memorySizeMb: number,
  timeoutSeconds: number,
  eventSources: string[],
  touches: string,
  serviceName = `lethe-${shortName}`,
): FunctionDeclaration & { output: O } => ({
  shortName,
  output,
  serviceName,
  handlerModule: `runtime/handlers/${handlerModule}`,
  memorySizeMb,
  timeoutSeconds,
  eventSources,
  touches,
});

const task = ["the erasure state machine"];

export const letheFunctions = {
  filterBuilder: fn(
    "filter-builder",
    "filterBuilderFunction",
    "filterBuilder",
    1024,
    300,
    ["schedule", "request function"],
    "opt-out table (scan), filter prefix of the lake bucket, subject hash key",
  ),
  ingestGuard: fn(
    "ingest-guard",
    "ingestGuardFunction",
    "ingestTransformer",
    1024,
    60,
    ["Firehose record transformation"],
    "opt-out table (read), filter prefix of the lake bucket",
  ),
  indexer: fn(
    "indexer",
    "indexerFunction",
    "indexer",
    1024,
    300,
    ["S3 notifications of the lake bucket"],
    "index table, lake objects (read), subject hash key",
  ),
  find: fn(
    "find",
    "findFunction",
    "find",
    512,
    900,
    task,
    "Athena workgroup and results, Glue tables, lake objects (read), plans prefix, index table, batch tables",
  ),
  // Its memory and timeout are the stack config's (lethe:purgeFunctionMemoryMb, lethe:purgeFunctionTimeoutSeconds); these are their defaults (Pulumi.yaml).
  purge: fn(
    "purge",
    "purgeFunction",
    "purge",
    2048,
    600,
    ["purge queue (SQS)"],
    "lake objects and versions (rewrite, delete), ledger and locks tables, purge queue",
  ),
  purgeErrors: fn(
    "purge-errors",
    "errorsFunction",
    "errors",
    256,
    25,
    ["purge dead-letter queue (SQS)"],
    "errors and ledger tables, alert topic",
  ),
  requestApproval: fn(
    "request-approval",
    "requestApprovalFunction",
    "requestApproval",
    256,
    60,
    task,
    "batch tables, alert topic",
  ),
  enqueuePurges: fn(
    "enqueue-purges",
    "enqueuePurgesFunction",
    "enqueuePurges",
    512,
    300,
    task,
    "batch tables, plans prefix (read), purge queue",
  ),
  pollLedger: fn("poll-ledger", "pollLedgerFunction", "pollLedger", 256, 60, task, "ledger table"),
  verify: fn("verify", "verifyFunction", "verify", 512, 900, task, "what find touches, plans prefix (list)"),
  report: fn(
    "report",
    "reportFunction",
    "report",
    512,
    300,
    task,
    "batch tables, audit, report bucket, raw IDs and manifests (delete), idempotency table, report signing key",
  ),
  needsAttention: fn(
    "needs-attention",
    "needsAttentionFunction",
    "needsAttention",
    256,
    60,
    task,
    "batch tables, alert topic",
  ),
  request: fn(
    "request",
    "requestFunction",
    "request",
    1024,
    120,
    ["API", "console"],
    "requests and idempotency tables, raw IDs prefix, filter builder, subject hash key",
    "lethe-request",
  ),
  batch: fn(
    "batch",
    "batchFunction",
    "batch",
    1024,
    300,
    ["schedule", "console"],
    "requests and ledger tables, manifests prefix, the state machine",
  ),
  status: fn(
    "status",
    "statusFunction",
    "status",
    256,
    30,
    ["API", "console"],
    "requests and ledger tables (read)",
  ),
  approval: fn(
    "approval",
    "approvalFunction",
    "approval",
    512,
    120,
    ["API", "console"],
    "batch tables, the state machine's task tokens",
  ),
  cancel: fn(
    "cancel",
    "cancelFunction",
    "cancel",
    512,
    120,
    ["API", "console"],
    "batch tables, the state machine's executions",
  ),
  optIn: fn("opt-in", "optInFunction", "optIn", 256, 60, ["API", "console"], "opt-out table, audit"),
  deadline: fn(
    "deadline",
    "deadlineFunction",
    "deadline",
    256,
    120,
    ["schedule"],
    "requests table, alert topic, the state machine's executions",
  ),
  api: fn(
    "api",
    "apiFunction",
    "api",
    256,
    29,
    ["API Gateway"],
    "the console functions (invoke), requests and ledger tables (read), approval link key",
  ),
} as const satisfies Record<string, FunctionDeclaration>;

export type LetheFunctionKey = keyof typeof letheFunctions;

/** The stack outputs that name the table's functions. */
export type FunctionOutputKey = (typeof letheFunctions)[LetheFunctionKey]["output"];

/** Each function's stack output (its deployed name), from the function of each key. */
export function functionOutputs<T>(functions: Record<LetheFunctionKey, T>): Record<FunctionOutputKey, T> {
  return Object.fromEntries(
    Object.entries(letheFunctions).map(([key, d]) => [d.output, functions[key as LetheFunctionKey]]),
  ) as Record<FunctionOutputKey, T>;
}

/** The function behind each of the state machine's tasks (runtime/erasure/workflow/definition.ts). */
export const taskFunctions = {
  find: "find",
  requestApproval: "requestApproval",
  enqueuePurges: "enqueuePurges",
  pollLedger: "pollLedger",
  verify: "verify",
  report: "report",
  needsAttention: "needsAttention",
} as const satisfies Record<string, LetheFunctionKey>;

/** The declaration whose short name is `shortName`; throws for a function the table does not hold. */
export function declaredFunction(shortName: string): FunctionDeclaration {
  const found = Object.values(letheFunctions).find((f) => f.shortName === shortName);
  if (!found) throw new Error(`function ${shortName} is not in runtime/contracts/functions.ts`);
  return found;
}
