// `lethe policy check`: the offline CrossGuard gate (see cli/work/policy/gate.ts).
import * as path from "node:path";
import { Command } from "commander";
import { action, examples, jsonOption } from "./command";

interface CheckOptions {
  program?: string;
  config?: string;
  stack?: string;
  policyPack?: string;
  json?: boolean;
}

async function check(o: CheckOptions): Promise<number> {
  const { formatReport, runGate } = await import("./work/policy/gate");
  const { ProgramError } = await import("../local/program/mockedRun");
  const { PackError } = await import("./work/policy/analyzerClient");
  const { projectRoot } = await import("../runtime/contracts/projectConfig");
  const packDir = path.resolve(o.policyPack ?? path.join(projectRoot(), "policies"));
  try {
    const result = await runGate({ program: o.program, packDir, configFile: o.config, stack: o.stack });
    if (o.json) {
      const report = {
        pack: result.info,
        resources: result.run.resources.length,
        diagnostics: result.diagnostics,
        seconds: result.seconds,
      };
      process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    } else process.stdout.write(formatReport(result, packDir) + "\n");
    return result.diagnostics.some((d) => d.enforcementLevel === "mandatory") ? 1 : 0;
  } catch (err) {
    if (err instanceof ProgramError || err instanceof PackError) {
      process.stderr.write(`lethe policy check: could not run: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

export function registerPolicy(program: Command): void {
  const policy = program.command("policy").description("the policy gate (CrossGuard) without the cloud");
  examples(
    action(
      policy
        .command("check")
        .description(
          "run the Pulumi program under mocks and check every resource against the policy pack, as `pulumi preview --policy-pack policies` does",
        )
        .option("--program <path>", "the program's entry module or project directory (default this project)")
        .option("--config <file>", "a policy-pack-config.json")
        .option("--stack <name>", "the stack whose Pulumi.<name>.yaml config the program runs with")
        .option("--policy-pack <dir>", "the policy pack (default policies/)")
        .addOption(jsonOption()),
      check,
    ),
    ["lethe policy check", "lethe policy check --stack prod --config policy-config.json"],
    "0 no mandatory violation; 1 a mandatory violation; 2 could not run",
  );
}
