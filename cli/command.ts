// What every `lethe` command shares: the exit codes, the examples and exit-code lines in each
// command's help, the `--json` and stack options, and the action wrapper that records the exit code.
// Exit codes: 0 success, 1 a failure or finding (e.g. a mandatory policy violation, a function that
// failed), 2 could not run (bad input or usage, with a message naming the problem).
import { Command, Option } from "commander";
import { UsageError } from "../runtime/contracts/errors";

export { UsageError };

export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;

/** A UsageError by name: modules loaded from source (the Pulumi program's side) have their own class. */
export function isUsageError(err: unknown): err is Error {
  return err instanceof UsageError || (err instanceof Error && err.name === "UsageError");
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
