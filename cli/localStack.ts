// `lethe up --local` / `lethe down --local`: the stack in an emulator, built from the program's own
// declarations (tools/localStack). Deploying to AWS is `pulumi up`'s job.
import { parseArgs } from "node:util";
import { CommandGroup, UsageError } from "./command";

const upUsage = [
  "lethe up --local [--outputs <file>] [--stack <name>]",
  "    provision the stack into the emulator at AWS_ENDPOINT_URL (or start one and keep it until Ctrl-C);",
  "    writes the stack outputs (default .lethe/local.json)",
].join("\n");
const downUsage = [
  "lethe down --local [--outputs <file>]",
  "    remove from the emulator what `lethe up --local` made there, and the outputs file",
].join("\n");

function parse(args: string[], command: "up" | "down") {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        local: { type: "boolean", default: false },
        outputs: { type: "string" },
        ...(command === "up" ? { stack: { type: "string" } } : {}),
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${command === "up" ? upUsage : downUsage}`);
  }
  const values = parsed.values as { local: boolean; outputs?: string; stack?: string };
  if (!values.local)
    throw new UsageError(
      command === "up"
        ? "up needs --local: it provisions the stack into an emulator; deploy to AWS with `pulumi up`"
        : "down needs --local: it removes a local stack; destroy a deployed one with `pulumi destroy`",
    );
  return values;
}

function counts(byType: Record<string, number>, shortType: (t: string) => string): string {
  return Object.entries(byType)
    .map(([t, n]) => `${n} ${shortType(t)}`)
    .join(", ");
}

const total = (byType: Record<string, number>) => Object.values(byType).reduce((a, n) => a + n, 0);

export const upCommands: CommandGroup = {
  usage: upUsage,
  async run(args) {
    const values = parse(args, "up");
    const { upLocal, defaultOutputsFile, shortType } = await import("../tools/localStack");
    const outputs = values.outputs ?? defaultOutputsFile;
    const result = await upLocal({ outputs, stack: values.stack });
    const { summary, stack } = result;
    process.stderr.write(
      `lethe up --local: stack ${stack.stack} in ${stack.endpoint}: ${total(summary.provisioned)} resources ` +
        `in ${summary.seconds.toFixed(1)} s (${counts(summary.provisioned, shortType)})\n` +
        `lethe up --local: skipped, not emulated: ${counts(summary.skipped, shortType) || "none"}\n` +
        `lethe up --local: outputs ${outputs}\n`,
    );
    process.stdout.write(JSON.stringify(stack, null, 2) + "\n");
    const emulator = result.emulator;
    if (!emulator) return 0;
    process.stderr.write(
      `lethe up --local: emulator running at ${emulator.endpoint} (export AWS_ENDPOINT_URL=${emulator.endpoint}); ` +
        `Ctrl-C stops it and removes ${outputs}\n`,
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await emulator.stop();
    // The stack lived in the emulator: an outputs file naming it would now point at nothing.
    require("node:fs").rmSync(outputs, { force: true });
    process.stderr.write(`lethe up --local: emulator stopped, ${outputs} removed\n`);
    return 0;
  },
};

export const downCommands: CommandGroup = {
  usage: downUsage,
  async run(args) {
    const values = parse(args, "down");
    const { downLocal, defaultOutputsFile, shortType } = await import("../tools/localStack");
    const outputs = values.outputs ?? defaultOutputsFile;
    const result = await downLocal({ outputs });
    process.stderr.write(
      `lethe down --local: stack ${result.stack} in ${result.endpoint}: removed ${total(result.removed)} ` +
        `resources in ${result.seconds.toFixed(1)} s (${counts(result.removed, shortType)}); ${outputs} removed\n`,
    );
    return 0;
  },
};
