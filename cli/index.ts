// `lethe <group> <subcommand> ...`: each group lives in its own module, loaded only when used.
import { CommandGroup, UsageError } from "./command";

const groups: Record<string, () => CommandGroup> = {
  // group name -> loader; each feature adds its own line.
  policy: () => require("./policy").policyCommands,
  bloom: () => require("./bloom").bloomCommands,
  parquet: () => require("./parquet").parquetCommands,
  demo: () => require("./demo").demoCommands,
  up: () => require("./localStack").upCommands,
  down: () => require("./localStack").downCommands,
  functions: () => require("./functions").functionsCommands,
  invoke: () => require("./functions").invokeCommands,
  index: () => require("./indexCommands").indexCommands,
  api: () => require("./api").apiCommands,
};

function help(): string {
  const lines = ["usage: lethe <command> [options]", ""];
  for (const name of Object.keys(groups).sort()) lines.push(groups[name]().usage.trimEnd(), "");
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (!group || group === "help" || group === "--help" || group === "-h") {
    process.stdout.write(help() + "\n");
    return group ? 0 : 2;
  }
  const load = groups[group];
  if (!load) {
    process.stderr.write(`lethe: unknown command '${group}'\n\n${help()}\n`);
    return 2;
  }
  try {
    return await load().run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`lethe: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
