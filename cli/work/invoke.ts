// `lethe functions` and `lethe invoke`: the program's functions as packaged (local/program/packaging.ts), and
// one of them run with an event against a stack. A local stack's outputs file (`"local": true`,
// written by `lethe up --local`) runs the packaged code in this process with the environment the
// program gives the function, its mocked identifiers replaced by the local ones; a deployed stack's
// outputs (`pulumi stack output --json`) name the function to call with Lambda Invoke.
import { letheFunctions } from "../../runtime/contracts/functions";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { UsageError } from "../../runtime/contracts/errors";
import { resolveClientConfig } from "../../runtime/aws/clients";
import {
  outputKeyOf,
  PackagedFunction,
  packagedFunction,
  packagedProgram,
  PackagingOptions,
  zipFunction,
} from "../../local/program/packaging";
import type { LocalStack } from "../../runtime/contracts/stack";
import { readJsonFile, resolveStackOutputs, StackOutputs } from "./stackOutputs";

export { defaultStackOutputsFile, readJsonFile, readStackOutputs } from "./stackOutputs";
export type { StackOutputs } from "./stackOutputs";

export interface FunctionSummary {
  shortName: string;
  functionName: string;
  handler: string;
  /** The runtime modules the handler's closure requires. */
  entries: string[];
  memorySizeMb: number;
  timeoutSeconds: number;
  zipBytes: number;
  unzippedBytes: number;
  /** Packages the function's runtime code requires directly. */
  packages: string[];
  /** Every package in the zip, dependencies of dependencies included. */
  packageCount: number;
  /** `hit`: the package came from the packaging cache as built before; `miss`: built by this command. */
  cache: "hit" | "miss";
  /** From the table of functions (runtime/contracts/functions.ts), when it holds the function. */
  serviceName?: string;
  eventSources?: string[];
  output?: string;
  sampleEvent?: string;
}

export interface FunctionList {
  functions: FunctionSummary[];
  /** How the packages were obtained (one program run for all of them). */
  cache: { hit: boolean; key: string; seconds: number; dir: string };
}

/** What the table of functions says of a function (nothing for one it does not hold: a store's). */
function tableEntry(shortName: string): Partial<FunctionSummary> {
  const d = Object.values(letheFunctions).find((f) => f.shortName === shortName);
  if (!d) return {};
  return {
    serviceName: d.serviceName,
    eventSources: [...d.eventSources],
    output: d.output,
    sampleEvent: `events/${d.shortName}.json`,
  };
}

export async function listFunctions(opts: PackagingOptions = {}): Promise<FunctionList> {
  const out: FunctionSummary[] = [];
  const { functions, cache } = await packagedProgram(opts);
  for (const fn of functions) {
    const { bytes } = await zipFunction(fn);
    out.push({
      shortName: fn.shortName,
      functionName: fn.functionName,
      handler: fn.handler,
      entries: fn.entries,
      memorySizeMb: fn.memorySizeMb,
      timeoutSeconds: fn.timeoutSeconds,
      zipBytes: bytes,
      unzippedBytes: fn.unzippedBytes,
      packages: fn.directPackages,
      packageCount: fn.packages.length,
      cache: cache.hit ? "hit" : "miss",
      ...tableEntry(fn.shortName),
    });
  }
  return { functions: out, cache };
}

/** The deployed (or local) name of `fn` in `outputs`, after checking they are this program's stack. */
function functionNameIn(outputs: StackOutputs, source: string, fn: PackagedFunction): string {
  const name = outputs[fn.outputKey];
  if (typeof name !== "string" || name === "") {
    const keys = Object.keys(outputs).slice(0, 8).join(", ");
    throw new UsageError(
      `${source} has no ${fn.outputKey} output: not the outputs of this program's stack (it has ${keys || "no keys"})`,
    );
  }
  const expected = outputs.local ? [fn.functionName, outputs.localResources?.[fn.functionName]] : [];
  if (outputs.local ? !expected.includes(name) : !name.endsWith(`-${fn.shortName}`)) {
    throw new UsageError(
      `${source} is another stack's outputs: its ${fn.outputKey} is '${name}', the program's is '${fn.functionName}'`,
    );
  }
  return name;
}

export interface InvokeResult {
  /** The function's reply, or Lambda's `{errorType, errorMessage}` when it failed. */
  reply: unknown;
  failed: boolean;
  where: "local" | "deployed";
  functionName: string;
}

export interface InvokeOptions extends PackagingOptions {
  /** The stack's outputs file; without it `stack` names a deployed stack (cli/work/stackOutputs.ts), else `.lethe/local.json`. */
  stackOutputsFile?: string;
  /** Where the function's own output (its logs) goes; default stderr, so stdout holds the reply. */
  logs?: (chunk: string) => void;
}

async function invokeThroughLambda(
  functionName: string,
  event: unknown,
  endpoint?: string,
): Promise<{ reply: unknown; failed: boolean }> {
  // Built from the same settings as runtime/aws/clients.ts; kept out of it so that no function's zip
  // carries the Lambda client only the CLI uses.
  const lambda = new LambdaClient(resolveClientConfig(endpoint ? { endpoint } : {}));
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString("utf8") : "";
  let reply: unknown = text;
  try {
    reply = text === "" ? null : JSON.parse(text);
  } catch {
    // a reply that is not JSON is shown as the text it is
  }
  return { reply, failed: out.FunctionError !== undefined };
}

/** Runs `shortName` with the event in `eventFile` against the stack in the outputs file. */
export async function invokeFunction(
  shortName: string,
  eventFile: string,
  opts: InvokeOptions = {},
): Promise<InvokeResult> {
  return invokeFunctionWith(shortName, readJsonFile(eventFile, "event file"), opts);
}

/** Runs `shortName` with `event` against the stack in the outputs file (`lethe retention run`'s way in). */
export async function invokeFunctionWith(
  shortName: string,
  event: unknown,
  opts: InvokeOptions = {},
): Promise<InvokeResult> {
  const { outputs, source } = resolveStackOutputs({ stackOutputs: opts.stackOutputsFile, stack: opts.stack });
  const stack = opts.stack ?? "dev";
  if (outputs.stack !== undefined && outputs.stack !== stack) {
    throw new UsageError(
      `${source} holds the outputs of stack '${outputs.stack}', not '${stack}' (see --stack)`,
    );
  }
  if (!outputs.local) {
    const functionName = functionNameIn(outputs, source, await packagedFunction(shortName, opts));
    return { ...(await invokeThroughLambda(functionName, event)), where: "deployed", functionName };
  }
  // A local stack: its warm stack's Lambda Invoke (local/connect.ts), the one `lethe up --local` runs,
  // else one started here (the program packaged first, which also checks the name and the outputs).
  const { connectWarmStack, runningWarmStack } = await import("../../local/connect");
  const local = outputs as unknown as LocalStack;
  const running = await runningWarmStack(local);
  const functionName = running
    ? localFunctionName(outputs, source, shortName)
    : functionNameIn(outputs, source, await packagedFunction(shortName, opts));
  // Its logs are what a user of `lethe invoke` reads (a running stack's are in its own output).
  const target = await connectWarmStack(local, {
    packaging: opts,
    logs: opts.logs,
    functionLogLevel: "INFO",
  });
  try {
    const { reply, failed } = await invokeThroughLambda(functionName, event, target.lambdaEndpoint);
    return { reply, failed, where: "local", functionName };
  } finally {
    await target.close();
  }
}

/** The local name of a function from the outputs alone (a running warm stack: nothing packaged here). */
function localFunctionName(outputs: StackOutputs, source: string, shortName: string): string {
  const name = outputs[outputKeyOf(shortName)];
  if (typeof name === "string" && name !== "") return name;
  const known = Object.keys(outputs)
    .filter((k) => k.endsWith("Function") && typeof outputs[k] === "string")
    .map((k) => String(outputs[k]).replace(`lethe-${outputs.stack}-`, ""));
  throw new UsageError(`unknown function '${shortName}': ${source} has ${known.join(", ")}`);
}
