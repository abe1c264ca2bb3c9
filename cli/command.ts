// What every `lethe` command shares: the exit codes, the examples and exit-code lines in each
// command's help, the `--json` and stack options, and the action wrapper that records the exit code.
// Exit codes: 0 success, 1 a failure or finding (e.g. a mandatory policy violation, a function that
// failed), 2 could not run (bad input or usage, with a message naming the problem).
import { Command, Option } from "commander";
import { refusalNamed, UsageError } from "../runtime/contracts/errors";

export { UsageError };

export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;

/** A UsageError by name: modules loaded from source (the Pulumi program's side) have their own class. */
export function isUsageError(err: unknown): err is Error {
  return err instanceof UsageError || (err instanceof Error && refusalNamed(err.name, "") !== undefined);
}

let lastExitCode: number = exitCodes.ok;

/** The exit code the last action returned. */
export function actionExitCode(): number {
  return lastExitCode;
}

/** Sets `cmd`'s action; the action returns its exit code (0 ok, 1 failure). */
export function action<A extends unknown[]>(
  cmd: Command,
  run: (...args: A) => number | Promise<number>,
): Command {
  return cmd.action(async (...args: unknown[]) => {
    lastExitCode = await run(...(args as A));
  });
}

/** Adds the examples and what the exit codes mean for this command to its `--help`. */
export function examples(cmd: Command, lines: string[], exits = "0 done; 1 failed; 2 usage error"): Command {
  return cmd.addHelpText(
    "after",
    `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n\nExit codes: ${exits}.\n`,
  );
}

export const jsonOption = () =>
  new Option("--json", "print the result as JSON on stdout (progress stays on stderr)");

/** `--stack-outputs <file>` and `--stack <name>`: which stack an operator command works with. */
export function stackOptions(cmd: Command): Command {
  return cmd
    .option(
      "--stack-outputs <file>",
      "the stack's outputs: `pulumi stack output --json` of a deployed stack, or `lethe up --local`'s file (default .lethe/local.json)",
    )
    .option(
      "--stack <name>",
      "a deployed stack: its outputs from `pulumi stack output --json --stack <name>` (needs the Pulumi CLI)",
    );
}

export interface StackFlags {
  stackOutputs?: string;
  stack?: string;
}

/** A whole number of at least `min`, for an option's parser. */
export function wholeNumber(name: string, min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`--${name} must be a whole number of at least ${min}, got '${v}'`);
    return n;
  };
}

/** Collects a repeatable option's values. */
export const collect = (v: string, previous: string[] = []) => [...previous, v];

/**
 * A group in the style of the hand-written dispatcher this CLI had (usage text + `run(args)`), kept
 * runnable until it is ported to commander: see registerLegacyGroup.
 */
export interface CommandGroup {
  usage: string;
  run(args: string[]): Promise<number>;
}

/** A legacy group whose first argument names the subcommand (`lethe erase ...`). */
export function subcommandGroup(
  group: string,
  usage: string,
  subcommands: Record<string, (args: string[]) => number | Promise<number>>,
): CommandGroup {
  return {
    usage,
    async run(args) {
      const [sub, ...rest] = args;
      const handler = sub === undefined ? undefined : subcommands[sub];
      if (!handler) {
        throw new UsageError(
          `${sub ? `unknown ${group} subcommand '${sub}'` : `missing ${group} subcommand`}\n\n${usage}`,
        );
      }
      return handler(rest);
    },
  };
}

/**
 * Registers a legacy group as one command that hands its arguments to the group's own parser;
 * `--help` prints the group's usage. Port it to commander (options declared, `action`, `examples`).
 */
export function registerLegacyGroup(
  program: Command,
  name: string,
  description: string,
  load: () => CommandGroup,
): Command {
  const cmd = program
    .command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[args...]");
  return action(cmd, async (args: string[]) => {
    const group = load();
    if (args.includes("--help") || args.includes("-h")) {
      process.stdout.write(
        `Usage: lethe ${name} [arguments]\n\n${group.usage.trimEnd()}\n\n` +
          `Examples:\n${group.usage
            .split("\n")
            .filter((l) => l.startsWith("lethe "))
            .map((l) => `  $ ${l}`)
            .join("\n")}\n\nExit codes: 0 done; 1 failed; 2 usage error.\n`,
      );
      return exitCodes.ok;
    }
    return group.run(args);
  });
}
