// The work behind `lethe erase|status|approve|reject|cancel`, against the stack in an outputs file.
// A local stack (`lethe up --local`): the packaged functions run in this process with the stack's
// environment; the request function's filter rebuild reaches the packaged filter builder through
// Lambda Invoke served here (tools/localLambda.ts), and with --wait the batch function's execution
// starts here too (tools/localStepFunctions.ts) and runs to its end with startLocalBatch. A deployed
// stack: Lambda Invoke of its functions, and `status` polled until the request ends.
import * as fs from "node:fs";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { makeLambdaClient } from "../runtime/aws/clients";
import { refusalNamed, UsageError } from "../runtime/contracts/errors";
import { endStates, ErasureState } from "../runtime/contracts/requests";
import type { LocalStack } from "../runtime/contracts/stack";
import { normaliseSubjects } from "../runtime/erasure/request";
import { parseIdLines, SubjectIdError } from "../runtime/erasure/subjectIds";
import { resolveStackOutputs, StackOutputs } from "./stackOutputs";
import { loadPackagedHandler, packagedFunction, PackagingOptions, withEnvironment } from "./packaging";
import { batchFunctionEnvironment, stackEnvironment, stackPackaging, startLocalBatch } from "./localErasure";
import { serveLocalLambda } from "./localLambda";
import { servePeers } from "./invoke";
import { serveLocalStepFunctions } from "./localStepFunctions";
import { localCredentialsEnvironment } from "./localStack/endpoint";
import { batchStepOf, BatchStep } from "./batchSteps";

export interface ErasureCommandOptions {
  stackOutputsFile?: string;
  /** A deployed stack by name (`pulumi stack output --json --stack <name>`; tools/stackOutputs.ts). */
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

async function refusalsAsUsage<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw refusalNamed((err as Error)?.name, (err as Error)?.message) ?? err;
  }
}

/** Runs a function of the stack: its packaged code in process (local) or Lambda Invoke (deployed). */
function invoker(
  outputs: StackOutputs,
  opts: ErasureCommandOptions,
  extraEnv: Record<string, string> = {},
): Invoke {
  if (outputs.local) {
    const stack = outputs as unknown as LocalStack;
    return async (shortName, event) => {
      const packaging = stackPackaging(stack, opts.packaging);
      const fn = await packagedFunction(shortName, packaging);
      // The functions it invokes (the filter builder: request, cancel, reject), unless the caller serves them.
      const peers = extraEnv.AWS_ENDPOINT_URL_LAMBDA ? undefined : await servePeers(outputs, packaging);
      try {
        const handler = loadPackagedHandler(fn, {
          ...batchFunctionEnvironment(fn, stack),
          AWS_ENDPOINT_URL: stack.endpoint,
          ...(peers ? { AWS_ENDPOINT_URL_LAMBDA: peers.endpoint } : {}),
          ...extraEnv,
        });
        return await refusalsAsUsage(() => handler(event));
      } finally {
        await peers?.close();
      }
    };
  }
  const lambda = makeLambdaClient();
  return async (shortName, event) => {
    const key = `${shortName.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}Function`;
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
  request: { requestId: string; status: string; deadline: string; subjects: number };
  batch?: Record<string, unknown>;
  /** The request's status at the end (with --wait). */
  status?: Record<string, unknown>;
  /** True when the request ended COMPLETED (or, without --wait, was filed). */
  ok: boolean;
}

export async function erase(input: EraseInput, opts: ErasureCommandOptions = {}): Promise<EraseResult> {
  const ids = eraseSubjects(input);
  const outputs = stackOf(opts);
  const progress = opts.progress ?? (() => undefined);
  const event = {
    customerIds: ids,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
  };
  if (!outputs.local) {
    const invoke = invoker(outputs, opts);
    const request = (await invoke("request", event)) as EraseResult["request"];
    progress(`request ${request.requestId} received; deadline ${request.deadline}`);
    const batch = (await invoke("batch", { now: true })) as Record<string, unknown>;
    if (!input.wait) return { request, batch, ok: true };
    const status = await pollStatus(invoke, request.requestId, opts, progress);
    return { request, batch, status, ok: status.state === "COMPLETED" };
  }

  // Local: this process serves the stack's functions and drains its queues. The stack's environment
  // is this process's own while the erasure runs (a handler reading a variable late, after another
  // call has ended, still finds it); the caller's comes back when it ends.
  const stack = outputs as unknown as LocalStack;
  return withEnvironment(
    { AWS_ENDPOINT_URL: stack.endpoint, ...localCredentialsEnvironment(), ...stackEnvironment(stack) },
    () => eraseLocally(stack, event, input, opts, progress),
  );
}

async function eraseLocally(
  stack: LocalStack,
  event: Record<string, unknown>,
  input: EraseInput,
  opts: ErasureCommandOptions,
  progress: (line: string) => void,
): Promise<EraseResult> {
  const outputs = stack as unknown as StackOutputs;
  const builderFn = await packagedFunction("filter-builder", stackPackaging(stack, opts.packaging));
  const builder = loadPackagedHandler(builderFn, {
    ...batchFunctionEnvironment(builderFn, stack),
    AWS_ENDPOINT_URL: stack.endpoint,
  });
  const lambda = await serveLocalLambda({
    [builderFn.functionName]: (e) => builder(e),
    ...(stack.localResources?.[builderFn.functionName]
      ? { [stack.localResources[builderFn.functionName]]: (e: unknown) => builder(e) }
      : {}),
    [String(stack.filterBuilderFunction)]: (e) => builder(e),
  });
  let result: Promise<unknown> | undefined;
  const sfn = await serveLocalStepFunctions(async (name, executionInput, arn) => {
    const execution = await startLocalBatch(stack, executionInput as { batchId: string; deadline: string }, {
      drainSeconds: opts.drainSeconds ?? 10,
      packaging: opts.packaging,
    });
    result = execution.result;
    return `${arn.replace(":stateMachine:", ":execution:")}:${name}`;
  });
  try {
    const invoke = invoker(outputs, opts, {
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    });
    const request = (await invoke("request", event)) as EraseResult["request"];
    progress(`request ${request.requestId} received; deadline ${request.deadline}`);
    // Locally an execution runs in this process only: without --wait the request waits for the next batch.
    if (!input.wait) return { request, ok: true };
    const batch = (await invoke("batch", { now: true })) as Record<string, unknown>;
    progress(String(batch.message));
    let settled = !result;
    const execution = result
      ?.catch((err: Error) => progress(`execution failed: ${err.message}`))
      .finally(() => (settled = true));
    // The execution runs in this process: follow its steps until it ends (fast polls: nothing is billed).
    const followed = pollStatus(
      invoke,
      request.requestId,
      { ...opts, pollSeconds: 1 },
      progress,
      () => settled,
    );
    await execution;
    const status = await followed;
    return { request, batch, status, ok: status.state === "COMPLETED" };
  } finally {
    await lambda.close();
    await sfn.close();
  }
}

async function pollStatus(
  invoke: Invoke,
  requestId: string,
  opts: ErasureCommandOptions,
  progress: (line: string) => void,
  /** Stops following before an end state (the local execution ended): the status read after it is the last. */
  stopped: () => boolean = () => false,
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
    if (endStates.includes(state) || wasStopped) return status;
    const until = Date.now() + (opts.pollSeconds ?? 10) * 1000;
    while (Date.now() < until && !stopped()) await new Promise((r) => setTimeout(r, 200));
  }
}

export async function requestStatusOf(requestId: string, opts: ErasureCommandOptions = {}): Promise<unknown> {
  return invoker(stackOf(opts), opts)("status", { requestId });
}

export async function decide(
  batchId: string,
  decision: "approve" | "reject",
  extra: { reason?: string; by?: string },
  opts: ErasureCommandOptions = {},
): Promise<unknown> {
  return invoker(stackOf(opts), opts)("approval", { batchId, decision, ...extra });
}

/** Cancels a request, or (when no request has that id) the batch of that id. */
export async function cancel(
  id: string,
  reason: string | undefined,
  opts: ErasureCommandOptions = {},
): Promise<unknown> {
  const invoke = invoker(stackOf(opts), opts);
  const extra = reason ? { reason } : {};
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
}

/** Opts subjects back in to ingest (the opt-in function), audited with who and why. */
export async function optIn(
  ids: string[],
  reason: string,
  by: string,
  opts: ErasureCommandOptions = {},
): Promise<unknown> {
  return invoker(stackOf(opts), opts)("opt-in", { customerIds: eraseSubjects({ ids }), reason, by });
}
