// What every `lethe <group>` module exports. Exit codes: 0 success, 1 a finding (e.g. a mandatory
// policy violation), 2 could not run (bad input, with a message naming the problem).
import { UsageError } from "../runtime/contracts/errors";

export { UsageError };
export interface CommandGroup {
  /** One line per subcommand, shown by `lethe help`. */
  usage: string;
  run(args: string[]): Promise<number>;
}

/** A group whose first argument names the subcommand (`lethe bloom build ...`). */
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
