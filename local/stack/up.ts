// `lethe up --local`: the program's own declarations, run under mocks, made real in the emulator at
// AWS_ENDPOINT_URL (or an embedded one). Resources are made in the order the program registered
// them, so each one's dependencies exist first. Running it again converges: every translator finds
// what is already there.
import * as path from "node:path";
import { resolveClientConfig } from "../../runtime/aws/clients";
import type {
  LocalBucketNotification,
  LocalEventSource,
  LocalSchedule,
  LocalStack,
  StackOutputs,
} from "../../runtime/contracts/stack";
import { startLocalEmulator, useLocalEmulator, LocalEmulator } from "../emulator";
import { declared, localClients, LocalContext, localize, plainValue } from "./context";
import type { ProgramRun } from "../program/mockedRun";
import { defaultStack, programDeclarations, programRegion } from "./declarations";
import { checkEndpoint, defaultLocalCredentials, provisioningError } from "./endpoint";
import { writeOutputsFile } from "./outputsFile";
import { GetPublicKeyCommand } from "@aws-sdk/client-kms";
import { publicKeyOf } from "../../runtime/contracts/reportSignature";
import { translators } from "./translators";

export interface ProvisionOptions {
  /** Pulumi stack whose config the program runs with (default dev). */
  stack?: string;
  /** The program (default: this project's). */
  program?: string;
  /** Called after each resource the program declares is made (or skipped): done of total, and which. */
  onResource?: (done: number, total: number, resource: string) => void;
}

export interface ProvisionSummary {
  /** Resources made or brought in line, per type. */
  provisioned: Record<string, number>;
  /** Resources the emulator does not hold (IAM, Lambda, logs, alarms...), per type. */
  skipped: Record<string, number>;
  seconds: number;
}

/** `aws:dynamodb/table:Table` -> `dynamodb table`. */
export function shortType(type: string): string {
  const [, mod = "", kind = ""] = type.split(":");
  const name = kind.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  const service = mod.split("/")[0];
  return name.startsWith(service) ? name : `${service} ${name}`;
}

function count(into: Record<string, number>, type: string): void {
  into[type] = (into[type] ?? 0) + 1;
}

/** Makes the stack exist in the emulator AWS_ENDPOINT_URL names, and returns its outputs. */
export async function provisionLocalStack(
  options: ProvisionOptions = {},
): Promise<{ stack: LocalStack; summary: ProvisionSummary }> {
  const started = Date.now();
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error("provisionLocalStack needs AWS_ENDPOINT_URL (an emulator)");
  await checkEndpoint(endpoint);
  defaultLocalCredentials();
  const stackName = options.stack ?? defaultStack;
  const run = await programDeclarations(stackName, options.program);
  const ctx: LocalContext = {
    clients: localClients({ maxAttempts: 2 }),
    endpoint: endpoint,
    region: resolveClientConfig().region,
    localResources: {},
  };
  const summary: ProvisionSummary = { provisioned: {}, skipped: {}, seconds: 0 };
  const resources = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:"));
  for (const [i, r] of resources.entries()) {
    const translator = translators[r.type];
    if (!translator) {
      count(summary.skipped, r.type);
      options.onResource?.(i + 1, resources.length, `${shortType(r.type)} ${r.name} (not emulated)`);
      continue;
    }
    try {
      await translator.up(declared(r, ctx.localResources), ctx);
    } catch (err) {
      throw provisioningError(endpoint, `${r.type} ${r.name}`, err);
    }
    count(summary.provisioned, r.type);
    options.onResource?.(i + 1, resources.length, `${shortType(r.type)} ${r.name}`);
  }
  const outputs = localize(run.exports, ctx.localResources) as unknown as StackOutputs;
  if (outputs.reportSigningKeyArn) {
    // The mocks have no key material: the public key is the emulator's key's, as AWS would give it.
    const pub = await ctx.clients.kms.send(new GetPublicKeyCommand({ KeyId: outputs.reportSigningKeyArn }));
    outputs.reportSigningPublicKey = publicKeyOf(Buffer.from(pub.PublicKey!)).pem;
  }
  const stateMachineDefinition = declaredDefinition(run, ctx.localResources);
  summary.seconds = (Date.now() - started) / 1000;
  return {
    stack: {
      ...outputs,
      endpoint,
      local: true,
      stack: stackName,
      ...(options.program ? { program: path.resolve(options.program) } : {}),
      localResources: ctx.localResources,
      ...(stateMachineDefinition ? { stateMachineDefinition } : {}),
      eventSources: declaredEventSources(run),
      schedules: declaredSchedules(run),
      bucketNotifications: declaredBucketNotifications(run, ctx.localResources),
    },
    summary,
  };
}

/**
 * The erasure state machine's definition exactly as the program declares it (the JSON `pulumi up`
 * deploys), mocked identifiers made local: what local mode runs.
 */
export function declaredDefinition(
  run: ProgramRun,
  localResources: Record<string, string>,
): Record<string, unknown> | undefined {
  const machines = run.resources.filter((r) => r.type === "aws:sfn/stateMachine:StateMachine");
  if (machines.length > 1)
    throw new Error(`the program declares ${machines.length} state machines; expected one`);
  if (machines.length === 0) return undefined;
  const { definition } = plainValue(machines[0].inputs) as { definition: string };
  return JSON.parse(localize(definition, localResources));
}

/**
 * The SQS event source mappings as the program declares them (Lambda's default batch is 10), sorted:
 * the program registers them in no fixed order, and the outputs of two runs are the same.
 */
export function declaredEventSources(run: ProgramRun): LocalEventSource[] {
  return run.resources
    .filter((r) => r.type === "aws:lambda/eventSourceMapping:EventSourceMapping")
    .map(
      (r) => plainValue(r.inputs) as { eventSourceArn?: string; functionName?: string; batchSize?: number },
    )
    .filter((inputs) => String(inputs.eventSourceArn).startsWith("arn:aws:sqs:"))
    .map((inputs) => ({
      queueName: String(inputs.eventSourceArn).split(":").pop()!,
      functionName: String(inputs.functionName ?? ""),
      batchSize: inputs.batchSize ?? 10,
    }))
    .sort((a, b) => {
      const [x, y] = [a, b].map((s) => `${s.queueName}\0${s.functionName}`);
      return x < y ? -1 : x > y ? 1 : 0;
    });
}

const lambdaArnName = (arn: unknown) =>
  String(arn ?? "")
    .split(":function:")
    .pop() ?? "";

/** The schedules the program declares: each EventBridge rule with an expression, and the function its target invokes. */
export function declaredSchedules(run: ProgramRun): LocalSchedule[] {
  const targets = run.resources
    .filter((r) => r.type === "aws:cloudwatch/eventTarget:EventTarget")
    .map((r) => plainValue(r.inputs) as { rule?: string; arn?: string })
    .filter((t) => String(t.arn).startsWith("arn:aws:lambda:"));
  return run.resources
    .filter((r) => r.type === "aws:cloudwatch/eventRule:EventRule")
    .flatMap((r) => {
      const { scheduleExpression } = plainValue(r.inputs) as { scheduleExpression?: string };
      const name = (plainValue(r.outputs) as { name?: string }).name;
      if (!scheduleExpression) return [];
      return targets
        .filter((t) => t.rule === name)
        .map((t) => ({ rule: r.name, expression: scheduleExpression, functionName: lambdaArnName(t.arn) }));
    })
    .sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

/** The S3 notifications to functions the program declares (buckets under their local names). */
export function declaredBucketNotifications(
  run: ProgramRun,
  localResources: Record<string, string>,
): LocalBucketNotification[] {
  return run.resources
    .filter((r) => r.type === "aws:s3/bucketNotification:BucketNotification")
    .flatMap((r) => {
      const inputs = localize(plainValue(r.inputs), localResources) as {
        bucket: string;
        lambdaFunctions?: { events?: string[]; filterPrefix?: string; lambdaFunctionArn?: string }[];
      };
      return (inputs.lambdaFunctions ?? []).map((f) => ({
        bucket: inputs.bucket,
        prefix: f.filterPrefix ?? "",
        events: f.events ?? [],
        functionName: lambdaArnName(f.lambdaFunctionArn),
      }));
    });
}

export interface UpOptions extends ProvisionOptions {
  /** Where the outputs file goes. */
  outputs: string;
}

export interface UpResult {
  stack: LocalStack;
  summary: ProvisionSummary;
  outputs: string;
  /** The emulator this call started (none when AWS_ENDPOINT_URL named one): it lives until stopped. */
  emulator?: LocalEmulator;
}

/** Provisions into AWS_ENDPOINT_URL, or into an embedded emulator it starts, and writes the outputs file. */
export async function upLocal(options: UpOptions): Promise<UpResult> {
  let emulator: LocalEmulator | undefined;
  if (!process.env.AWS_ENDPOINT_URL) {
    // The emulator starts while the program runs under mocks.
    const starting = startLocalEmulator();
    const run = await programDeclarations(options.stack ?? defaultStack, options.program).catch(
      async (err) => {
        await (await starting.catch(() => undefined))?.stop();
        throw err;
      },
    );
    emulator = await starting;
    useLocalEmulator(emulator.endpoint, programRegion(run));
  }
  try {
    const { stack, summary } = await provisionLocalStack(options);
    writeOutputsFile(options.outputs, stack);
    return { stack, summary, outputs: options.outputs, emulator };
  } catch (err) {
    await emulator?.stop();
    throw err;
  }
}
