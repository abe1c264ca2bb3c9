// The `lethe` program: every command on commander, with one grammar (`--x v` or `--x=v`), `-h/--help`
// on every command with examples and exit codes, `--version`, and did-you-mean on typos. Each group
// registers its commands; their work is loaded only when a command runs, so `lethe --help` is quick.
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { registerApi } from "./api";
import { registerAudit } from "./audit";
import { registerBloom } from "./bloom";
import { registerDemo } from "./demo";
import { registerDoctor } from "./doctor";
import { registerErasure } from "./erasure";
import { registerFunctions } from "./functions";
import { registerIndex } from "./indexCommands";
import { registerLake } from "./lake";
import { registerLocalStack } from "./localStack";
import { registerParquet } from "./parquet";
import { registerPolicy } from "./policy";
import { registerReport } from "./report";
import { registerRequests } from "./requests";
import { registerRetention } from "./retention";

/** Each group's registration; a new group adds its line. */
const groups: ((program: Command) => void)[] = [
  registerLocalStack,
  registerLake,
  registerErasure,
  registerRetention,
  registerDoctor,
  registerRequests,
  registerReport,
  registerAudit,
  registerApi,
  registerFunctions,
  registerIndex,
  registerPolicy,
  registerBloom,
  registerParquet,
  registerDemo,
];

/** The version in the project's package.json (the nearest one above this module, source or compiled). */
export function packageVersion(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
      if (pkg.name === "lethe") return String(pkg.version);
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json of lethe above ${from}`);
  }
}

export function buildProgram(): Command {
  const program = new Command("lethe")
    .description("GDPR right-to-be-forgotten for AWS data lakes: erase, verify, report")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help for a command")
    .showSuggestionAfterError(true)
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({
      // Errors read like every other: `lethe: <message>`.
      outputError: (message, write) => write(message.replace(/^error: /, "lethe: ")),
    });
  program.addHelpText(
    "after",
    `
Every option takes its value as \`--x v\` or \`--x=v\`; \`lethe <command> --help\` shows a command's
options and examples. Operator commands take --stack-outputs <file> (\`pulumi stack output --json\`) or
--stack <name>, with credentials and region from the usual AWS environment.

Exit codes: 0 success; 1 a failure or finding (e.g. a mandatory policy violation); 2 usage error
(bad input, with a message naming the problem).
`,
  );
  for (const register of groups) register(program);
  return program;
}

/** Every command of the program with its full name, e.g. `bloom build` (for help tests and docs). */
export function commandNames(program: Command, prefix = ""): string[] {
  return program.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return [name, ...commandNames(c, `${name} `)];
  });
}
