// `lethe policy ...`: the offline CrossGuard gate (see tools/policy/gate.ts).
import * as path from "node:path";
import { CommandGroup, UsageError } from "./command";
import { formatReport, runGate } from "../tools/policy/gate";
import { ProgramError } from "../tools/policy/mockedRun";
import { PackError } from "../tools/policy/analyzerClient";

const usage = `lethe policy check [--program <entry module or project dir>] [--config <policy-pack-config.json>]
                   [--stack <name>] [--policy-pack <dir>]
    Runs the Pulumi program under mocks and checks every resource against the policy pack, the way
    \`pulumi preview --policy-pack policies\` does, without the cloud. Exit 0: no mandatory violation;
    1: a mandatory violation; 2: could not run.`;

function parse(args: string[]): Record<string, string> {
  const allowed = ["--program", "--config", "--stack", "--policy-pack"];
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (!allowed.includes(flag))
      throw new UsageError(`policy check: unknown option '${args[i]}'\n\n${usage}`);
    const value = inline ?? args[++i];
    if (value === undefined || value === "") throw new UsageError(`policy check: ${flag} needs a value`);
    out[flag.slice(2)] = value;
  }
  return out;
}

export const policyCommands: CommandGroup = {
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== "check") throw new UsageError(`policy: unknown subcommand '${sub ?? ""}'\n\n${usage}`);
    const o = parse(rest);
    const packDir = path.resolve(o["policy-pack"] ?? path.join(__dirname, "..", "policies"));
    try {
      const result = await runGate({ program: o.program, packDir, configFile: o.config, stack: o.stack });
      process.stdout.write(formatReport(result, packDir) + "\n");
      return result.diagnostics.some((d) => d.enforcementLevel === "mandatory") ? 1 : 0;
    } catch (err) {
      if (err instanceof ProgramError || err instanceof PackError) {
        process.stderr.write(`lethe policy check: could not run: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  },
};
