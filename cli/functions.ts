// `lethe functions` and `lethe invoke`: the program's Lambda functions as `pulumi up` would package
// them, and one of them run with a console event against a local or deployed stack (cli/work/invoke.ts).
import { Command } from "commander";
import { StackFlags, action, examples, jsonOption, stackOptions } from "./command";
import type { FunctionSummary } from "./work/invoke";

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function table(fns: FunctionSummary[]): string {
  const rows = [
    ["function", "invoked by", "cache", "handler", "memory", "timeout", "zip", "packages"],
    ...fns.map((f) => [
      f.shortName,
      f.eventSources?.join(", ") ?? "its store's branch",
      f.cache,
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

async function functions(values: { json?: boolean; stack?: string }): Promise<number> {
  const { listFunctions } = await import("./work/invoke");
  const { functions: fns, cache } = await listFunctions({ stack: values.stack });
  process.stderr.write(
    `lethe: packages ${cache.hit ? "from the cache (hit)" : "built (miss)"} in ${cache.seconds.toFixed(1)} s: ${cache.dir}\n`,
  );
  process.stdout.write((values.json ? JSON.stringify(fns, null, 2) : table(fns)) + "\n");
  return 0;
}

async function invoke(name: string, values: StackFlags & { event: string }): Promise<number> {
  const { invokeFunction } = await import("./work/invoke");
  const result = await invokeFunction(name, values.event, {
    stackOutputsFile: values.stackOutputs,
    stack: values.stack,
  });
  process.stdout.write(JSON.stringify(result.reply, null, 2) + "\n");
  return result.failed ? 1 : 0;
}

export function registerFunctions(program: Command): void {
  examples(
    action(
      program
        .command("functions")
        .description(
          "the program's Lambda functions (run under mocks, packaged as pulumi up would; cached until a source, the lock file or the stack config changes): cache hit/miss, handler, memory, timeout, zip size and the packages each carries",
        )
        .addOption(jsonOption())
        .option("--stack <name>", "the Pulumi stack whose config the program runs with (default dev)"),
      functions,
    ),
    ["lethe functions", "lethe functions --json | jq '.[].shortName'"],
  );
  examples(
    action(
      stackOptions(
        program
          .command("invoke")
          .description(
            "run a function's packaged code with a console event against a stack and print its reply (JSON): a local stack's in this process, a deployed stack's with Lambda Invoke",
          )
          .argument("<function>", "the function's short name (see `lethe functions`)")
          .requiredOption("--event <file>", "the event, e.g. events/<function>.json"),
      ),
      invoke,
    ),
    [
      "lethe invoke filter-builder --event events/filter-builder.json",
      "lethe invoke find --event events/find.json --stack-outputs prod-outputs.json",
      "lethe invoke deadline --event events/deadline.json --stack prod",
    ],
    "0 the function replied; 1 the function failed; 2 usage error",
  );
}
