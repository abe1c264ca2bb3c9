// `lethe up --local` / `lethe down --local`: the stack in an emulator, built from the program's own
// declarations (local/stack). Deploying to AWS is `pulumi up`'s job.
import * as fs from "node:fs";
import { Command, Option } from "commander";
import { scheduleModes, type ScheduleMode } from "../local/schedules";
import { UsageError, action, examples, jsonOption } from "./command";
import { startProgress } from "../local/progress";

function counts(byType: Record<string, number>, shortType: (t: string) => string): string {
  return Object.entries(byType)
    .map(([t, n]) => `${n} ${shortType(t)}`)
    .join(", ");
}

const total = (byType: Record<string, number>) => Object.values(byType).reduce((a, n) => a + n, 0);

/** What `up --local` says it made: stack, endpoint, counts, the outputs file; a few lines, not the outputs. */
export function upSummary(
  stack: object & { stack: string; endpoint: string },
  summary: { provisioned: Record<string, number>; skipped: Record<string, number>; seconds: number },
  outputs: string,
  shortType: (t: string) => string,
): string {
  const keys = Object.keys(stack).length;
  return (
    `lethe up --local: stack ${stack.stack} in ${stack.endpoint}: ${total(summary.provisioned)} resources ` +
    `in ${summary.seconds.toFixed(1)} s (${counts(summary.provisioned, shortType)})\n` +
    `lethe up --local: skipped, not emulated: ${counts(summary.skipped, shortType) || "none"}\n` +
    `lethe up --local: outputs ${outputs} (${keys} keys; --json prints them)\n`
  );
}

interface UpOptions {
  json?: boolean;
  local?: boolean;
  outputs?: string;
  stack?: string;
  program?: string;
  warm?: boolean;
  schedules: string;
}

async function up(values: UpOptions): Promise<number> {
  if (!values.local)
    throw new UsageError(
      "up needs --local: it provisions the stack into an emulator; deploy to AWS with `pulumi up`",
    );
  const { upLocal, defaultOutputsFile, shortType } = await import("../local/stack");
  const outputs = values.outputs ?? defaultOutputsFile;
  process.stderr.write("lethe up --local: running the program under mocks ...\n");
  let progress: ReturnType<typeof startProgress> | undefined;
  const result = await upLocal({
    outputs,
    stack: values.stack,
    program: values.program,
    onResource: (done, of, resource) => {
      progress ??= startProgress("lethe up --local", of, { plainIntervalMs: 2000 });
      progress.update(done, resource);
    },
  }).finally(() => progress?.done());
  const { summary } = result;
  let stack = result.stack;
  const emulator = result.emulator;
  // The warm stack: always beside an emulator this process runs; with a given one, on --warm.
  const { serveWarmStack } =
    emulator || values.warm ? await import("../local/serve") : { serveWarmStack: undefined };
  process.stderr.write(
    serveWarmStack ? "lethe up --local: loading the functions for the warm stack ...\n" : "",
  );
  const served = await serveWarmStack?.(stack, outputs, {
    schedules: values.schedules as ScheduleMode,
    preload: true,
    packaging: { stack: stack.stack, ...(stack.program ? { program: stack.program } : {}) },
  }).catch(async (err) => {
    await emulator?.stop();
    throw err;
  });
  if (served) stack = served.stack;
  // stdout is the result: the short summary, or with --json the whole outputs (then the summary on stderr).
  const lines = upSummary(stack, summary, outputs, shortType);
  (values.json ? process.stderr : process.stdout).write(lines);
  if (values.json) process.stdout.write(JSON.stringify(stack, null, 2) + "\n");
  if (served) {
    const info = served.warm.info();
    process.stderr.write(
      `lethe up --local: warm stack serving Lambda at ${served.warm.lambdaEndpoint} and Step Functions at ` +
        `${served.warm.stepFunctionsEndpoint}; schedules ${values.schedules}` +
        `${info.schedules.driven.length ? ` (${info.schedules.driven.join(", ")})` : ""}\n`,
    );
  }
  if (!emulator && !served) return 0;
  if (emulator)
    process.stderr.write(
      `lethe up --local: emulator running at ${emulator.endpoint} (export AWS_ENDPOINT_URL=${emulator.endpoint}); ` +
        `Ctrl-C stops it and removes ${outputs}\n`,
    );
  else process.stderr.write(`lethe up --local: Ctrl-C stops the warm stack\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await served?.stop();
  if (!emulator) return 0;
  await emulator.stop();
  // The stack lived in the emulator: an outputs file naming it would now point at nothing.
  fs.rmSync(outputs, { force: true });
  process.stderr.write(`lethe up --local: emulator stopped, ${outputs} removed\n`);
  return 0;
}

async function down(values: { local?: boolean; outputs?: string }): Promise<number> {
  if (!values.local)
    throw new UsageError(
      "down needs --local: it removes a local stack; destroy a deployed one with `pulumi destroy`",
    );
  const { downLocal, defaultOutputsFile, shortType } = await import("../local/stack");
  const outputs = values.outputs ?? defaultOutputsFile;
  const result = await downLocal({ outputs });
  process.stderr.write(
    `lethe down --local: stack ${result.stack} in ${result.endpoint}: removed ${total(result.removed)} ` +
      `resources in ${result.seconds.toFixed(1)} s (${counts(result.removed, shortType)}); ${outputs} removed\n`,
  );
  return 0;
}

export function registerLocalStack(program: Command): void {
  examples(
    action(
      program
        .command("up")
        .description(
          "provision the stack into the emulator at AWS_ENDPOINT_URL (or start one and keep it until Ctrl-C); writes the stack outputs",
        )
        .option("--local", "into an emulator (required: deploy to AWS with `pulumi up`)")
        .option("--outputs <file>", "where the outputs go (default .lethe/local.json)")
        .option("--stack <name>", "the Pulumi stack whose config the program runs with (default dev)")
        .option(
          "--program <path>",
          "the program's project directory or entry module (default this project); later commands take it from the outputs",
        )
        .addOption(jsonOption())
        .option(
          "--warm",
          "with AWS_ENDPOINT_URL: also serve the warm stack (Lambda Invoke, Step Functions) until Ctrl-C (always on with an emulator of its own)",
        )
        .addOption(
          new Option(
            "--schedules <mode>",
            "the warm stack fires the program's schedules: off, fast (every 10 s) or as declared",
          )
            .choices([...scheduleModes])
            .default("as-declared"),
        ),
      up,
    ),
    [
      "lethe up --local",
      "lethe up --local",
      "lethe up --local --schedules fast",
      "AWS_ENDPOINT_URL=http://127.0.0.1:5000 lethe up --local --outputs local.json --warm",
      "lethe up --local --json > outputs.json",
    ],
  );
  examples(
    action(
      program
        .command("down")
        .description("remove from the emulator what `lethe up --local` made there, and the outputs file")
        .option("--local", "a local stack (required: destroy a deployed one with `pulumi destroy`)")
        .option("--outputs <file>", "the outputs file of `lethe up --local` (default .lethe/local.json)"),
      down,
    ),
    ["lethe down --local"],
  );
}
