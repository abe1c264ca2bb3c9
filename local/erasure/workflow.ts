// Runs the erasure state machine's definition in process (aws-local-stepfunctions): the same JSON the
// program deploys, every Task state mapped to a local handler, Waits shortened where the caller says.
// A `.waitForTaskToken` state calls its handler with the token, then waits for `awaitTaskToken` to
// deliver the decision (locally: another process records it where the waiter looks).
import { randomUUID } from "node:crypto";
import type { StateMachine, StateMachineDefinition } from "aws-local-stepfunctions";

/** One entry of the execution's event log (state entered, exited, retried, caught, failed...). */
export type ExecutionEvent =
  ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

/** Node 20 lacks Promise.withResolvers, which the interpreter uses (Lambdas run Node 22, which has it). */
function ensureWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  if (P.withResolvers) return;
  P.withResolvers = () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
}

type Json = unknown;

export interface LocalWorkflowOptions {
  definition: Record<string, unknown>;
  /** The handler behind each Task state, by state name (for a task-token state: the one it invokes). */
  handlers: Record<string, (input: Json) => Promise<Json>>;
  /** Wait states shortened (or lengthened) to these seconds, by state name. */
  waitSeconds?: Record<string, number>;
  /** Retry pauses shortened to these milliseconds, by state name (tests). */
  retryPauseMs?: Record<string, number>;
  /** Resolves with a task token's output once someone sends it (approval); rejects on failure. */
  awaitTaskToken?: (token: string, signal: AbortSignal) => Promise<Json>;
}

export interface LocalExecution {
  executionId: string;
  result: Promise<Json>;
  /** Every state entered, exited, retried, caught or failed, in order. */
  events: AsyncGenerator<ExecutionEvent>;
  abort(): void;
}

type StateShape = {
  Type: string;
  Resource?: string;
  Branches?: Record<string, unknown>[];
  Iterator?: Record<string, unknown>;
  ItemProcessor?: Record<string, unknown>;
};

/** Every state by name, those inside Parallel branches and Map iterators too (names are unique). */
export function allStates(definition: Record<string, unknown>): Record<string, StateShape> {
  const out: Record<string, StateShape> = {};
  for (const [name, state] of Object.entries(definition.States as Record<string, StateShape>)) {
    out[name] = state;
    const nested = [...(state.Branches ?? []), state.Iterator ?? state.ItemProcessor].filter(Boolean);
    for (const machine of nested) Object.assign(out, allStates(machine as Record<string, unknown>));
  }
  return out;
}

const taskTokenResource = /^arn:aws:states:::lambda:invoke\.waitForTaskToken$/;

export function startLocalExecution(options: LocalWorkflowOptions, input: Json): LocalExecution {
  ensureWithResolvers();
  // Loaded here so the CLI's other commands do not pay for it.
  const { StateMachine: Machine } =
    require("aws-local-stepfunctions") as typeof import("aws-local-stepfunctions");
  const states = allStates(options.definition);
  const aborter = new AbortController();
  const executionId = randomUUID();
  const taskToken = `local-${executionId}`;
  const overrides: Record<string, (input: Json) => Promise<Json>> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== "Task") continue;
    const handler = options.handlers[name];
    if (!handler) throw new Error(`local workflow: no handler for task state ${name}`);
    if (state.Resource && taskTokenResource.test(state.Resource)) {
      overrides[name] = async (params) => {
        const wait = options.awaitTaskToken;
        if (!wait)
          throw new Error(`local workflow: ${name} waits for a task token, but nothing delivers one`);
        const payload = (params as { Payload?: Json }).Payload;
        const waiting = wait(taskToken, aborter.signal);
        await handler(payload);
        return waiting;
      };
    } else {
      overrides[name] = handler;
    }
  }
  const machine = new Machine(options.definition as unknown as StateMachineDefinition, {
    validationOptions: { checkPaths: true, checkArn: true },
  });
  const waitTimeOverrides = Object.fromEntries(
    Object.entries(options.waitSeconds ?? {}).map(([name, seconds]) => [name, seconds * 1000]),
  );
  const run = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: overrides as never,
      waitTimeOverrides,
      retryIntervalOverrides: options.retryPauseMs,
    },
    context: { Execution: { Id: executionId, Input: input as never }, Task: { Token: taskToken } },
  });
  return {
    executionId,
    result: run.result.finally(() => aborter.abort()),
    events: run.eventLogs,
    abort: () => {
      aborter.abort();
      run.abort();
    },
  };
}

/**
 * How many events Step Functions would put in the execution's history for this event log (its quota
 * is 25,000 per execution): one per state entered and exited; for a Task, per attempt, scheduled,
 * started and succeeded or failed (and submitted, for a task token); for a Parallel or a Map, started
 * and succeeded; one per Map iteration started and ended; one for the execution's start and its end.
 */
export function historyEventCount(
  events: readonly ExecutionEvent[],
  definition: Record<string, unknown>,
): number {
  const states = allStates(definition);
  let n = 0;
  for (const e of events) {
    switch (e.type) {
      case "StateEntered": {
        const s = states[e.state.name];
        n += 1;
        if (s?.Type === "Task") n += s.Resource && taskTokenResource.test(s.Resource) ? 4 : 3;
        if (s?.Type === "Parallel" || s?.Type === "Map") n += 1;
        break;
      }
      case "StateExited": {
        const s = states[e.state.name];
        n += s?.Type === "Parallel" || s?.Type === "Map" ? 2 : 1;
        break;
      }
      // A retried attempt: its own scheduled, started and failed.
      case "StateRetried":
        n += 3;
        break;
      case "MapIterationStarted":
      case "MapIterationSucceeded":
      case "MapIterationFailed":
      case "ExecutionStarted":
      case "ExecutionSucceeded":
      case "ExecutionFailed":
      case "ExecutionAborted":
      case "ExecutionTimeout":
        n += 1;
        break;
      // Branches have no events of their own; a failed or caught state's failure is its task's.
      default:
        break;
    }
  }
  return n;
}
