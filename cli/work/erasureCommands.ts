// The work behind `lethe erase|status|approve|reject|cancel`, against the stack in an outputs file,
// one code path for both targets: Lambda Invoke of the stack's functions, and with --wait its status
// polled until the request ends. A deployed stack: AWS's endpoints. A local stack (`lethe up --local`):
// its warm stack's (local/connect.ts: the running one, else one started in this process), where the
// batch function's StartExecution runs the state machine and the purge queue is drained; with --wait
// the execution is followed through DescribeExecution as well. --wait follows the command's own
// request whichever batch takes it (another operator's `erase` may batch it first).
import * as fs from "node:fs";
import { DescribeExecutionCommand, DescribeExecutionOutput } from "@aws-sdk/client-sfn";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { makeLambdaClient, makeSfnClient } from "../../runtime/aws/clients";
import { refusalNamed, UsageError } from "../../runtime/contracts/errors";
import { endStates, ErasureState } from "../../runtime/contracts/requests";
import type { LocalStack } from "../../runtime/contracts/stack";
import { normaliseSubjects } from "../../runtime/erasure/request";
import { parseIdLines, SubjectIdError } from "../../runtime/subjects/subjectIds";
import type { WarmTarget } from "../../local/connect";
import { resolveStackOutputs, StackOutputs } from "./stackOutputs";
import { outputKeyOf, PackagingOptions } from "../../local/program/packaging";
import { batchStepOf, BatchStep } from "./batchSteps";

export interface ErasureCommandOptions {
  stackOutputsFile?: string;
  /** A deployed stack by name (`pulumi stack output --json --stack <name>`; cli/work/stackOutputs.ts). */
  stack?: string;
  /** The local Drain wait (default 10 s). */
  drainSeconds?: number;
  /** Between two status polls of a deployed stack (default 10 s). */
  pollSeconds?: number;
  packaging?: PackagingOptions;
  /** Progress lines (stderr). */
  progress?: (line: string) => void;
  /** With --wait: the step the batch is at, objects done of total while forgetting. */
  onStep?: (step: BatchStep) => void;
}

function stackOf(opts: ErasureCommandOptions): StackOutputs {
  return resolveStackOutputs({ stackOutputs: opts.stackOutputsFile, stack: opts.stack }).outputs;
}

type Invoke = (shortName: string, event: unknown) => Promise<unknown>;

/** Runs a function of the stack through Lambda Invoke; a refusal comes back as the UsageError it was. */
function lambdaInvoker(lambda: LambdaClient, outputs: StackOutputs): Invoke {
  return async (shortName, event) => {
    const key = outputKeyOf(shortName);
    const name = outputs[key];
    if (typeof name !== "string")
      throw new UsageError(`the stack outputs have no ${key}: not this program's stack`);
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const reply = JSON.parse(out.Payload ? Buffer.from(out.Payload).toString("utf8") : "null");
    if (out.FunctionError) {
      const e = reply as { errorType?: string; errorMessage?: string };
      const refusal = refusalNamed(e?.errorType, e?.errorMessage ?? "refused");
      if (refusal) throw refusal;
      throw new Error(`${name} failed: ${e?.errorType}: ${e?.errorMessage}`);
    }
    return reply;
  };
}

/**
 * Runs `work` with an invoker of the stack's functions: a deployed stack's Lambda, or a local stack's
 * warm stack (`target`), connected for the call and let go after it.
 */
async function withStack<T>(
  opts: ErasureCommandOptions,
  work: (invoke: Invoke, target?: WarmTarget) => Promise<T>,
): Promise<T> {
  const outputs = stackOf(opts);
  if (!outputs.local) return work(lambdaInvoker(makeLambdaClient(), outputs));
  const { connectWarmStack } = await import("../../local/connect");
  const target = await connectWarmStack(outputs as unknown as LocalStack, {
    packaging: opts.packaging,
    drainSeconds: opts.drainSeconds,
  });
  try {
    return await work(lambdaInvoker(makeLambdaClient({ endpoint: target.lambdaEndpoint }), outputs), target);
  } finally {
    await target.close();
  }
}

export interface EraseInput {
  ids: string[];
  idsFile?: string;
  reason?: string;
  requestedBy?: string;
  wait?: boolean;
}

/** The IDs of the command line and the IDs file, checked before anything is sent (one line per problem). */
export function eraseSubjects(input: EraseInput): (string | string[])[] {
  const keys: (string | string[])[] = [...input.ids];
  if (input.idsFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(input.idsFile, "utf8");
    } catch (err) {
      throw new UsageError(
        `cannot read --ids-file '${input.idsFile}': ${(err as NodeJS.ErrnoException).code}`,
      );
    }
    const columns = (text.split("\n")[0] ?? "").replace(/\r$/, "").split("\t").length;
    try {
      keys.push(...parseIdLines(text, columns).map((k) => (k.length === 1 ? k[0] : k)));
    } catch (err) {
      if (err instanceof SubjectIdError) throw new UsageError(`--ids-file ${input.idsFile}: ${err.message}`);
      throw err;
    }
  }
  if (keys.length === 0) throw new UsageError("erase: give at least one customer ID (or --ids-file <file>)");
  normaliseSubjects(keys);
  return keys;
}

export interface EraseResult {
  request: {
    requestId: string;
    status: string;
    deadline: string;
    subjects: number;
    parts?: { requestId: string; subjects: number }[];
  };
  batch?: Record<string, unknown>;
  /** A request split into parts (larger than one batch): every batch run made for it, in order. */
  batches?: Record<string, unknown>[];
  /** The request's status at the end (with --wait). */
  status?: Record<string, unknown>;
  /** True when the request ended COMPLETED (or, without --wait, was filed). */
  ok: boolean;
  /** A local stack's erasure: the file of its trace (local/traceCollector.ts). */
  trace?: string;
}

export async function erase(input: EraseInput, opts: ErasureCommandOptions = {}): Promise<EraseResult> {
  const ids = eraseSubjects(input);
  // Locally, the erasure is one trace from here to the report, in .lethe/traces/<trace id>.jsonl.
  const trace = (stackOf(opts) as { local?: boolean }).local
    ? await (await import("../../local/traceCollector")).openLocalTrace("lethe erase")
    : undefined;
  let ended = false;
  try {
    const result = await eraseTraced(input, ids, opts);
    ended = true;
    await trace?.end(!result.ok);
    return trace ? { ...result, trace: trace.file } : result;
  } finally {
    if (!ended) await trace?.end(true);
  }
}

async function eraseTraced(
  input: EraseInput,
  ids: (string | string[])[],
  opts: ErasureCommandOptions,
): Promise<EraseResult> {
  const progress = opts.progress ?? (() => undefined);
  const event = {
    customerIds: ids,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
  };
  return withStack(opts, async (invoke, target) => {
    if (target && input.wait) await target.setDrainSeconds(opts.drainSeconds ?? 10);
    const request = (await invoke("request", event)) as EraseResult["request"];
    progress(`request ${request.requestId} received; deadline ${request.deadline}`);
    // A stack started for this command alone ends with it, and so would an execution it ran: without
    // --wait the request waits for the next batch of a running stack.
    if (!input.wait && target?.kind === "in-process") return { request, ok: true };
    // A request larger than one batch was split into parts of a batch each: one batch run per part
    // (each run takes the oldest open requests, so together they take every part).
    const batches: Record<string, unknown>[] = [];
    for (let i = 0; i < Math.max(1, request.parts?.length ?? 1); i++) {
      const made = (await invoke("batch", { now: true })) as Record<string, unknown>;
      batches.push(made);
      if (made.status !== "STARTED") break;
    }
    const batch = batches[0];
    if (!input.wait) return { request, batch, ...(batches.length > 1 ? { batches } : {}), ok: true };
    for (const b of batches) progress(String(b.message));
    const status = await waitForRequest(invoke, target, request.requestId, opts, progress, {
      executions: batches.map((b) => b.executionId),
      onBatch: (made) => batches.push(made),
    });
    return {
      request,
      batch,
      ...(batches.length > 1 ? { batches } : {}),
      status,
      ok: status.state === "COMPLETED",
    };
  });
}

/**
 * Follows a request to its end, whichever batch takes it: ours, or one another operator's `erase` or
 * the schedule ran first (ours then made none). Its status names that batch and its execution. A
 * request (or part) still RECEIVED was given back by the batch that claimed it (a manifest holds one
 * key arity): it is batched again. Locally nothing is billed: fast polls, and the executions of the
 * request's batches followed to their end (a request whose execution failed stays open: its status
 * read after the end is the last).
 */
async function waitForRequest(
  invoke: Invoke,
  target: WarmTarget | undefined,
  requestId: string,
  opts: ErasureCommandOptions,
  progress: (line: string) => void,
  known: { executions: unknown[]; onBatch?: (made: Record<string, unknown>) => void },
): Promise<Record<string, unknown>> {
  const rebatch = async (status: Record<string, unknown>, follow?: (arn: unknown) => void) => {
    if (!stillReceived(status)) return;
    const made = (await invoke("batch", { now: true })) as Record<string, unknown>;
    known.onBatch?.(made);
    progress(String(made.message));
    follow?.(made.executionId);
  };
  if (!target)
    return pollStatus(invoke, requestId, opts, progress, undefined, { onStatus: (s) => rebatch(s) });
  const followed = new Map<string, FollowedExecution>();
  const follow = (arn: unknown) => {
    if (typeof arn === "string" && !followed.has(arn))
      followed.set(arn, followExecution(target, arn, progress));
  };
  for (const arn of known.executions) follow(arn);
  let last: Record<string, unknown> | undefined;
  const status = await pollStatus(
    invoke,
    requestId,
    { ...opts, pollSeconds: 0.5 },
    progress,
    () => last !== undefined && executionsEnded(last, followed),
    {
      untilReported: true,
      onStatus: async (s) => {
        last = s;
        for (const b of batchesOf(s)) {
          if (b.executionId && !followed.has(b.executionId))
            progress(`request ${requestId} is in batch ${b.batchId}: following its execution`);
          follow(b.executionId);
        }
        await rebatch(s, follow);
      },
    },
  );
  for (const e of followed.values()) e.stop();
  return status;
}

/** The batches holding a request: its own, or each part's, as its status names them. */
function batchesOf(status: Record<string, unknown>): { batchId: string; executionId?: string }[] {
  const parts = (status.parts as Record<string, unknown>[] | undefined) ?? [status];
  return parts
    .map((p) => p.batch as { batchId: string; executionId?: string } | undefined)
    .filter((b): b is { batchId: string; executionId?: string } => b !== undefined);
}

/** The request, or a part of it, waits for a batch. */
function stillReceived(status: Record<string, unknown>): boolean {
  const parts = (status.parts as Record<string, unknown>[] | undefined) ?? [status];
  return parts.some((p) => p.state === "RECEIVED");
}

/** Every batch holding the request has an execution, followed here and ended. */
function executionsEnded(status: Record<string, unknown>, followed: Map<string, FollowedExecution>): boolean {
  if (stillReceived(status)) return false;
  return batchesOf(status).every((b) => b.executionId !== undefined && followed.get(b.executionId)?.ended());
}

interface FollowedExecution {
  ended(): boolean;
  stop(): void;
}

/**
 * Polls DescribeExecution until the execution ends; `ended` is true from then. An execution this
 * stack does not run (another process's in-process stack runs it) never ends here: the request's
 * status is followed to its end instead.
 */
function followExecution(
  target: WarmTarget,
  executionArn: string,
  progress: (line: string) => void,
): FollowedExecution {
  const sfn = makeSfnClient({ endpoint: target.stepFunctionsEndpoint });
  let ended = false;
  let stopped = false;
  void (async () => {
    while (!stopped && !ended) {
      const out: DescribeExecutionOutput | undefined = await sfn
        .send(new DescribeExecutionCommand({ executionArn }))
        .catch((err: Error) => {
          if (err.name !== "ExecutionDoesNotExist") return undefined;
          progress(`execution ${executionArn} runs in another process: following the request's status`);
          stopped = true;
          return undefined;
        });
      if (out && out.status !== "RUNNING") {
        if (out.status !== "SUCCEEDED")
          progress(`execution ${out.status}: ${out.error ?? ""} ${out.cause ?? ""}`.trim());
        ended = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { ended: () => ended, stop: () => (stopped = true) };
}

async function pollStatus(
  invoke: Invoke,
  requestId: string,
  opts: ErasureCommandOptions,
  progress: (line: string) => void,
  /** Stops following before an end state (the local execution ended): the status read after it is the last. */
  stopped: () => boolean = () => false,
  /**
   * With `stopped` bounding the wait: a request that ended COMPLETED or REJECTED is followed until its
   * report is recorded too. The report task ends the requests first and records each report after
   * (runtime/erasure/workflow/tasks/report.ts), so a poll in between saw an end without a report.
   */
  follow: {
    untilReported?: boolean;
    /** Told of each status read that does not end the wait. */
    onStatus?: (status: Record<string, unknown>) => Promise<void>;
  } = {},
): Promise<Record<string, unknown>> {
  let last = "";
  let lastStep = "";
  for (;;) {
    const wasStopped = stopped();
    const status = (await invoke("status", { requestId })) as Record<string, unknown>;
    const state = status.state as ErasureState;
    if (state !== last) progress(`request ${requestId}: ${state}`);
    last = state;
    const step = batchStepOf(status);
    const stepKey = JSON.stringify(step);
    if (step && stepKey !== lastStep) opts.onStep?.(step);
    lastStep = stepKey;
    const reportToCome =
      follow.untilReported && (state === "COMPLETED" || state === "REJECTED") && status.report === undefined;
    if ((endStates.includes(state) && !reportToCome) || wasStopped) return status;
    await follow.onStatus?.(status);
    const until = Date.now() + (opts.pollSeconds ?? 10) * 1000;
    while (Date.now() < until && !stopped()) await new Promise((r) => setTimeout(r, 200));
  }
}

export interface RetryResult {
  /** The batch function's reply: where the batch resumed, its requests, the new execution. */
  retry: {
    batchId: string;
    resumedAt: string;
    round?: number;
    requestIds: string[];
    executionId: string;
    message: string;
  };
  /** With --wait: each request's status at the end, in the batch's order. */
  statuses?: Record<string, unknown>[];
  /** True when the batch resumed (with --wait: when every request ended COMPLETED). */
  ok: boolean;
}

/** Resumes a batch that stopped (the batch function's `{"retry": ...}`); with `wait`, follows its requests. */
export async function retry(
  batchId: string,
  extra: { by?: string; wait?: boolean },
  opts: ErasureCommandOptions = {},
): Promise<RetryResult> {
  const progress = opts.progress ?? (() => undefined);
  return withStack(opts, async (invoke, target) => {
    if (target && extra.wait) await target.setDrainSeconds(opts.drainSeconds ?? 10);
    const reply = (await invoke("batch", {
      retry: batchId,
      ...(extra.by ? { by: extra.by } : {}),
    })) as RetryResult["retry"];
    progress(reply.message);
    // A stack started for this command alone ends with it, and so would the execution: it is followed.
    if (!extra.wait && target?.kind !== "in-process") return { retry: reply, ok: true };
    const statuses: Record<string, unknown>[] = [];
    for (const requestId of reply.requestIds)
      statuses.push(
        await waitForRequest(invoke, target, requestId, opts, progress, { executions: [reply.executionId] }),
      );
    return { retry: reply, statuses, ok: statuses.every((s) => s.state === "COMPLETED") };
  });
}

export async function requestStatusOf(requestId: string, opts: ErasureCommandOptions = {}): Promise<unknown> {
  return withStack(opts, (invoke) => invoke("status", { requestId }));
}

export async function decide(
  batchId: string,
  decision: "approve" | "reject",
  extra: { reason?: string; by?: string },
  opts: ErasureCommandOptions = {},
): Promise<unknown> {
  return withStack(opts, (invoke) => invoke("approval", { batchId, decision, ...extra }));
}

/** Cancels a request, or (when no request has that id) the batch of that id. */
export async function cancel(
  id: string,
  reason: string | undefined,
  opts: ErasureCommandOptions = {},
): Promise<unknown> {
  const extra = reason ? { reason } : {};
  return withStack(opts, async (invoke) => {
    try {
      return await invoke("cancel", { requestId: id, ...extra });
    } catch (err) {
      if (!(err instanceof UsageError) || err.message !== `request ${id} does not exist`) throw err;
    }
    try {
      return await invoke("cancel", { batchId: id, ...extra });
    } catch (err) {
      if (err instanceof UsageError && err.message === `batch ${id} does not exist`)
        throw new UsageError(`cancel: no request or batch ${id}`);
      throw err;
    }
  });
}

/** Opts subjects back in to ingest (the opt-in function), audited with who and why. */
export async function optIn(
  ids: string[],
  reason: string,
  by: string,
  opts: ErasureCommandOptions = {},
): Promise<unknown> {
  const event = { customerIds: eraseSubjects({ ids }), reason, by };
  return withStack(opts, (invoke) => invoke("opt-in", event));
}
