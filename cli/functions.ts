// `lethe functions` and `lethe invoke`: the program's Lambda functions as `pulumi up` would package
// them, and one of them run with a console event against a local or deployed stack (tools/invoke.ts).
import { parseArgs, ParseArgsConfig } from "node:util";
import { CommandGroup, UsageError } from "./command";
import { defaultStackOutputsFile, FunctionSummary, invokeFunction, listFunctions } from "../tools/invoke";

function parse(
  args: string[],
  options: ParseArgsConfig["options"],
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function table(fns: FunctionSummary[]): string {
  const rows = [
    ["function", "handler", "memory", "timeout", "zip", "packages"],
    ...fns.map((f) => [
      f.shortName,
      `${f.handler} (${f.entries.join(", ")})`,
      `${f.memorySizeMb} MB`,
      `${f.timeoutSeconds} s`,
      mb(f.zipBytes),
      `${f.packages.join(", ")} (${f.packageCount} in the zip)`,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  "))
    .join("\n");
}

const functionsUsage = `lethe functions [--json] [--stack <name>]
    the program's Lambda functions (run under mocks, packaged as pulumi up would): handler, memory,
    timeout, zip size and the packages each carries`;

export const functionsCommands: CommandGroup = {
  usage: functionsUsage,
  async run(args) {
    const { values, positionals } = parse(
      args,
      { json: { type: "boolean" }, stack: { type: "string" } },
      functionsUsage,
    );
    if (positionals.length)
      throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${functionsUsage}`);
    const fns = await listFunctions({ stack: values.stack as string | undefined });
    process.stdout.write((values.json ? JSON.stringify(fns, null, 2) : table(fns)) + "\n");
    return 0;
  },
};

const invokeUsage = `lethe invoke <function> --event <file> [--stack-outputs <file>] [--stack <name>]
    run the function's packaged code with the event (e.g. events/<function>.json) against the stack in
    the outputs file (default ${defaultStackOutputsFile}, from \`lethe up --local\`: in this process;
    \`pulumi stack output --json\` of a deployed stack: Lambda Invoke) and print its reply as JSON.
    Exit 1 when the function failed`;

export const invokeCommands: CommandGroup = {
  usage: invokeUsage,
  async run(args) {
    const { values, positionals } = parse(
      args,
      { event: { type: "string" }, "stack-outputs": { type: "string" }, stack: { type: "string" } },
      invokeUsage,
    );
    if (positionals.length !== 1) throw new UsageError(`name one function\n\n${invokeUsage}`);
    if (typeof values.event !== "string") throw new UsageError(`missing --event <file>\n\n${invokeUsage}`);
    const result = await invokeFunction(positionals[0], values.event, {
      stackOutputsFile: values["stack-outputs"] as string | undefined,
      stack: values.stack as string | undefined,
    });
    process.stdout.write(JSON.stringify(result.reply, null, 2) + "\n");
    return result.failed ? 1 : 0;
  },
};
