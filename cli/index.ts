// `lethe <command> ...`: runs the program (cli/program.ts) and turns what happened into the exit code.
import { CommanderError } from "commander";
import { actionExitCode, exitCodes, isUsageError } from "./command";
import { buildProgram } from "./program";

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return actionExitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end the parse with exit code 0; any other parse error is a usage error,
      // including a group named without its subcommand (commander prints the group's help).
      return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    if (isUsageError(err)) {
      process.stderr.write(`lethe: ${err.message}\n`);
      return exitCodes.usage;
    }
    throw err;
  }
}
