// `startLocalBatch`: one erasure batch run to its end in this process against a local stack, the
// same definition the program deploys (the outputs file's `stateMachineDefinition` when present,
// else built by workflowDefinition from the stack's settings). Every Task state runs the packaged
// handler of its function (local/program/packaging.ts) with the local stack's environment; Waits are
// shortened; while the execution runs, the purge queue is drained in process by the packaged purge
// function and its dead-letter queue by the errors function (local/queuePoller.ts), as Lambda's
// event source mappings would. Approval: the task-token waiter polls the batch record for the
// decision the approval function recorded. Cancel: a batch seen CANCELLED aborts the execution.
import * as fs from "node:fs";
import * as path from "node:path";
import { makeDocumentClient, makeSqsClient } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { getBatch } from "../../runtime/erasure/batches";
import { letheFunctions, taskFunctions as taskFunctionKeys } from "../../runtime/contracts/functions";
import { WorkflowTask, workflowDefinition, workflowTasks } from "../../runtime/erasure/workflow/definition";
import {
  loadPackagedHandler,
  PackagedFunction,
  packagedFunctions,
  PackagingOptions,
} from "../program/packaging";
import { pollQueue, SqsHandler } from "../queuePoller";
import { allStates, LocalExecution, startLocalExecution } from "./workflow";
import { batchFunctionEnvironment, defaultFindCacheDir, FunctionEnvironmentOptions } from "./environment";

export interface LocalBatchInput {
  batchId: string;
  deadline: string;
}

export interface LocalBatchOptions extends FunctionEnvironmentOptions {
  /** The Drain wait (default 10 s). */
  drainSeconds?: number;
  /** The wait between two ledger polls (default 1 s). */
  ledgerPollSeconds?: number;
  /** Used when the stack's outputs carry no definition (default false, 3). */
  approvalRequired?: boolean;
  maxVerifyRounds?: number;
  /** The program whose packaged functions run (default this project's, with the stack's config). */
  packaging?: PackagingOptions;
  /** Task state name -> handler, in place of the packaged function (test harnesses only). */
  handlerOverrides?: Record<string, (input: unknown) => Promise<unknown>>;
  /** How often the batch record is read for an approval decision or a cancel (default 500 ms). */
  batchPollMs?: number;
  /** Purge queue pollers running at once (default 2), each taking the declared batch size. */
  purgeConcurrency?: number;
  /** Purge messages' visibility timeout while drained here (default: the queue's, as declared). */
  visibilityTimeoutSeconds?: number;
  /**
   * Loads a function's handler (default: a cold start of its package with the batch environment). A
   * warm local stack (local/warmStack.ts) gives its warm instances.
   */
  loadHandler?: (fn: PackagedFunction) => Handler;
  /** Drain the purge queue and its dead-letter queue while the execution runs (default true; a warm stack drains them always). */
  drainQueues?: boolean;
  /** Resolves with a task token's output sent by SendTaskSuccess (a warm stack's Step Functions API); raced with the batch record's decision. */
  taskTokenSent?: (token: string, signal: AbortSignal) => Promise<unknown>;
}

/** The function each top-level Task state runs, by its short name: the table of functions' task map. */
export const taskFunctions = Object.fromEntries(
  Object.entries(taskFunctionKeys).map(([task, key]) => [task, letheFunctions[key].shortName]),
) as Record<WorkflowTask, string>;

const lambdaArnName = /^arn:aws[a-z-]*:lambda:[^:]+:[^:]+:function:([^:]+)/;

/** The function a Task's resource (or a lambda:invoke integration's FunctionName) names. */
export function functionNamed(
  name: string,
  fns: PackagedFunction[],
  stack: LocalStack,
): PackagedFunction | undefined {
  const bare = lambdaArnName.exec(name)?.[1] ?? name;
  // In order of certainty: "lethe-dev-request-approval" also ends with "-approval".
  return (
    fns.find((f) => f.functionName === bare || stack.localResources?.[f.functionName] === bare) ??
    fns.find((f) => f.shortName === bare) ??
    fns
      .filter((f) => bare.endsWith(`-${f.shortName}`))
      .sort((a, b) => b.shortName.length - a.shortName.length)[0]
  );
}

/**
 * Messages per invocation as the program's event source mapping from the queue to the function
 * declares it; one when the outputs file predates recording them (never more work per receive than
 * the visibility timeout was sized for).
 */
export function declaredBatchSize(
  stack: LocalStack,
  queueUrl: string,
  fn: PackagedFunction,
  fns: PackagedFunction[],
): number {
  const queueName = queueUrl.split("/").pop();
  const source = stack.eventSources?.find(
    (s) => s.queueName === queueName && functionNamed(s.functionName, fns, stack) === fn,
  );
  return source?.batchSize ?? 1;
}

/** The program's functions as a local stack runs them: the program and stack config it was provisioned from. */
export function stackPackaging(stack: LocalStack, given?: PackagingOptions): PackagingOptions {
  return (
    given ?? {
      ...(stack.stack ? { stack: stack.stack } : {}),
      ...(stack.program ? { program: stack.program } : {}),
    }
  );
}

/** The definition a local batch runs: the outputs file's, else built from the stack's settings. */
export function localDefinition(
  stack: LocalStack,
  fns: PackagedFunction[],
  options: LocalBatchOptions,
): Record<string, unknown> {
  const recorded = (stack as unknown as { stateMachineDefinition?: unknown }).stateMachineDefinition;
  const settings = (stack as Partial<LocalStack>).workflowSettings;
  // An explicit approval setting other than the stack's builds the definition anew (the same builder,
  // one setting changed): a run with approval on against a stack deployed without it.
  const asRecorded =
    options.approvalRequired === undefined || options.approvalRequired === settings?.approvalRequired;
  if (asRecorded && typeof recorded === "string") return JSON.parse(recorded);
  if (asRecorded && recorded && typeof recorded === "object") return recorded as Record<string, unknown>;
  const region = (stack as unknown as { region?: string }).region ?? "eu-west-1";
  const arn = (task: WorkflowTask) => {
    const fn = fns.find((f) => f.shortName === taskFunctions[task]);
    const name = fn?.functionName ?? `lethe-${stack.stack}-${taskFunctions[task]}`;
    return `arn:aws:lambda:${region}:000000000000:function:${name}`;
  };
  return workflowDefinition({
    functionArns: Object.fromEntries(workflowTasks.map((t) => [t, arn(t)])) as Record<WorkflowTask, string>,
    approvalRequired: options.approvalRequired ?? settings?.approvalRequired ?? false,
    drainSeconds: options.drainSeconds ?? 10,
    ledgerPollSeconds: options.ledgerPollSeconds ?? 1,
    maxVerifyRounds: options.maxVerifyRounds ?? settings?.maxVerifyRounds ?? 3,
    approvalTimeoutSeconds: settings?.approvalTimeoutSeconds ?? 72 * 3600,
    taskTimeoutSeconds: settings?.taskTimeoutSeconds ?? 900,
  });
}

type Handler = (input: unknown) => Promise<unknown>;

export interface QueueDrainOptions {
  /** Purge queue pollers running at once (default 2), each taking the declared batch size. */
  purgeConcurrency?: number;
  /** Each receive's visibility timeout (default: the queue's own, as declared). */
  visibilityTimeoutSeconds?: number;
  stop: () => boolean;
}

/**
 * Lambda's event source mappings for the stack's queues, in process, until `stop`: the purge queue
 * drained by the purge function, its dead-letter queue by the errors function, each with the batch
 * size the program declares. Each poller is an execution environment of its own (`load` is called
 * once per poller), as Lambda runs one invocation per environment at a time: a handler's state
 * (Powertools' batch processor) is never shared by two invocations.
 */
export function drainStackQueues(
  stack: LocalStack,
  fns: PackagedFunction[],
  /** Called on a poller's first message. */
  load: (fn: PackagedFunction) => unknown,
  options: QueueDrainOptions,
): Promise<unknown>[] {
  const sqs = makeSqsClient();
  const purge = functionNamed("purge", fns, stack);
  const errors = functionNamed("purge-errors", fns, stack) ?? functionNamed("errors", fns, stack);
  // A receive that failed (the emulator busy) is retried after a pause, as Lambda's poller does.
  const drain = async (queueUrl: string, fn: PackagedFunction) => {
    // Loaded on the first message: a stack that never gets one pays no cold start for it.
    let loaded: SqsHandler | undefined;
    const handler: SqsHandler = (event, context) => (loaded ??= load(fn) as SqsHandler)(event, context);
    while (!options.stop()) {
      await pollQueue(sqs, queueUrl, handler, {
        batchSize: declaredBatchSize(stack, queueUrl, fn, fns),
        idleReceives: Number.POSITIVE_INFINITY,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
        timeoutMs: fn.timeoutSeconds * 1000,
        stop: options.stop,
      }).catch(() => new Promise((r) => setTimeout(r, 1000)));
    }
  };
  const drains: Promise<unknown>[] = [];
  if (purge && stack.purgeQueueUrl)
    for (let i = 0; i < (options.purgeConcurrency ?? 2); i++) drains.push(drain(stack.purgeQueueUrl, purge));
  if (errors && stack.purgeDeadLetterQueueUrl) drains.push(drain(stack.purgeDeadLetterQueueUrl, errors));
  return drains;
}

export async function startLocalBatch(
  stack: LocalStack,
  input: LocalBatchInput,
  options: LocalBatchOptions = {},
): Promise<LocalExecution> {
  const fns = await packagedFunctions(stackPackaging(stack, options.packaging));
  const definition = localDefinition(stack, fns, options);
  // The embedded find engine's copies hold ID columns as they were before the purge: each execution
  // gets a folder of its own (never another stack's, whatever its bucket names) and removes it when it
  // ends, however it ends, so no copy of a raw ID outlives the batch.
  const findCacheDir = path.join(
    options.findCacheDir ?? defaultFindCacheDir(),
    `${stack.stack}-${input.batchId}`.replace(/[^A-Za-z0-9._-]/g, "_"),
  );
  const functionOptions = { ...options, findCacheDir };
  const loaded = new Map<string, Handler>();
  const handlerOf = (fn: PackagedFunction): Handler => {
    let h = loaded.get(fn.shortName);
    if (!h) {
      h = options.loadHandler
        ? options.loadHandler(fn)
        : (loadPackagedHandler(fn, batchFunctionEnvironment(fn, stack, functionOptions)) as Handler);
      loaded.set(fn.shortName, h);
    }
    return h;
  };
  const mustFind = (name: string, state: string) => {
    const fn = functionNamed(name, fns, stack);
    if (!fn) {
      throw new Error(
        `local batch: state ${state} calls ${name}, which the program does not declare (it has ${fns.map((f) => f.shortName).join(", ")})`,
      );
    }
    return fn;
  };

  const handlers: Record<string, Handler> = {};
  const waitSeconds: Record<string, number> = {};
  for (const [name, state] of Object.entries(allStates(definition))) {
    if (state.Type === "Wait") {
      // The drain is the one long wait; the others pace polls.
      waitSeconds[name] = name === "Drain" ? (options.drainSeconds ?? 10) : (options.ledgerPollSeconds ?? 1);
      continue;
    }
    if (state.Type !== "Task") continue;
    const override = options.handlerOverrides?.[name];
    if (override) {
      handlers[name] = override;
    } else if (/^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.test(state.Resource ?? "")) {
      // The Lambda integration: the function comes with the parameters; the reply goes under Payload
      // (for a task-token state the runner hands the handler the Payload itself).
      const tokenState = state.Resource!.endsWith(".waitForTaskToken");
      const named = (state as { Parameters?: { FunctionName?: string } }).Parameters?.FunctionName;
      const fixed = named && !named.includes("$") ? mustFind(named, name) : undefined;
      handlers[name] = tokenState
        ? (payload) => handlerOf(fixed ?? mustFind(String(named), name))(payload)
        : async (params) => {
            const p = params as { FunctionName: string; Payload?: unknown };
            const reply = await handlerOf(fixed ?? mustFind(p.FunctionName, name))(p.Payload);
            return { Payload: reply, StatusCode: 200 };
          };
    } else {
      const fn = mustFind(state.Resource ?? name, name);
      handlers[name] = (event) => handlerOf(fn)(event);
    }
  }

  const tables = {
    doc: makeDocumentClient(),
    ledgerTable: stack.ledgerTable,
    requestsTable: stack.requestsTable,
  };
  const pause = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  const pollMs = options.batchPollMs ?? 500;

  const execution = startLocalExecution(
    {
      definition,
      handlers,
      waitSeconds,
      retryPauseMs: {},
      // The approval function records the decision on the batch; the token must be this execution's.
      awaitTaskToken: (token, signal) =>
        options.taskTokenSent
          ? Promise.race([options.taskTokenSent(token, signal), recordedDecision(token, signal)])
          : recordedDecision(token, signal),
    },
    input,
  );

  async function recordedDecision(token: string, signal: AbortSignal): Promise<unknown> {
    while (!signal.aborted) {
      const batch = await getBatch(tables, input.batchId);
      const a = batch?.approval;
      // The approval function moves a rejected batch to REJECTED before it resumes the execution:
      // a rejection read before that move would run Report ahead of it.
      const resumed = a?.decision === "approve" || (a?.decision && batch?.status !== "AWAITING_APPROVAL");
      if (a?.taskToken === token && resumed) return { decision: a.decision, by: a.by, reason: a.reason };
      if (batch?.status === "CANCELLED")
        throw Object.assign(new Error(`batch ${input.batchId} was cancelled`), {
          name: "Lethe.Cancelled",
        });
      await pause(pollMs, signal);
    }
    throw new Error("the execution ended while waiting for approval");
  }

  // Lambda's event source mappings, in process: the purge queue and its dead-letter queue.
  let running = true;
  const drains =
    options.drainQueues === false
      ? []
      : drainStackQueues(
          stack,
          fns,
          (fn) => loadPackagedHandler(fn, batchFunctionEnvironment(fn, stack, functionOptions)),
          {
            purgeConcurrency: options.purgeConcurrency,
            visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
            stop: () => !running,
          },
        );

  // A cancel is seen on the batch record.
  const watching = new AbortController();
  const watch = (async () => {
    while (!watching.signal.aborted) {
      await pause(pollMs, watching.signal);
      if (watching.signal.aborted) break;
      const batch = await getBatch(tables, input.batchId).catch(() => undefined);
      if (batch?.status === "CANCELLED") {
        execution.abort();
        break;
      }
    }
  })();

  const result = execution.result.finally(async () => {
    running = false;
    watching.abort();
    await Promise.all([...drains, watch]);
    fs.rmSync(findCacheDir, { recursive: true, force: true });
  });
  return { ...execution, result };
}

export { batchFunctionEnvironment, defaultFindCacheDir, stackEnvironment } from "./environment";
