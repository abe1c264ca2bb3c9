// `lethe doctor`: checks, reading only, that a stack and the lake it erases from fit each other
// (cli/work/doctor/ does the work). Parsing and printing only. Exit codes: 0 every check passed,
// 1 findings, 2 could not run.
import { Command } from "commander";
import { action, examples, jsonOption, StackFlags, stackOptions, UsageError } from "./command";
import type { DoctorCheck } from "./work/doctor/checks";

const mark = { ok: "ok  ", failed: "FAIL", skipped: "skip" } as const;

/** One line per check; a failed one says what to change on the next. */
export function doctorText(checks: readonly DoctorCheck[]): string {
  const lines = checks.flatMap((c) => [
    `${mark[c.status]} ${c.level === "must" ? "must  " : "should"} ${c.subject}: ${c.check}: ${c.detail}`,
    ...(c.status === "failed" && c.fix ? [`              fix: ${c.fix}`] : []),
  ]);
  const failed = checks.filter((c) => c.status === "failed");
  const must = failed.filter((c) => c.level === "must").length;
  lines.push(
    failed.length === 0
      ? `doctor: all ${checks.length} checks passed (${checks.filter((c) => c.status === "skipped").length} skipped)`
      : `doctor: ${failed.length} finding(s), ${must} of them must-have` +
          (must > 0
            ? " (lethe erase refuses to start until they are fixed, or --force)"
            : " (lethe erase starts)"),
  );
  return lines.join("\n");
}

async function doctorCommand(o: StackFlags & { json?: boolean }): Promise<number> {
  const { doctorStack, doctorExitCode, DoctorCannotRun } = await import("./work/doctor");
  let checks: DoctorCheck[];
  try {
    checks = await doctorStack({ stackOutputs: o.stackOutputs, stack: o.stack });
  } catch (err) {
    if (err instanceof DoctorCannotRun) throw new UsageError(`doctor could not run: ${err.message}`);
    throw err;
  }
  process.stdout.write((o.json ? JSON.stringify({ checks }, null, 2) : doctorText(checks)) + "\n");
  return doctorExitCode(checks);
}

export function registerDoctor(program: Command): void {
  examples(
    action(
      stackOptions(
        program
          .command("doctor")
          .description(
            "check, reading only, that the stack fits its lake: each data mapper's bucket, Glue table, " +
              "objects and purge access, the Athena workgroup, each store, the alert topic",
          ),
      ).addOption(jsonOption()),
      doctorCommand,
    ),
    ["lethe doctor", "lethe doctor --stack-outputs outputs.json --json", "lethe doctor --stack prod"],
    "0 every check passed; 1 findings (each with what to change); 2 could not run",
  );
}
