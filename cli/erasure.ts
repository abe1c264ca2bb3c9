// `lethe erase|status|approve|reject|cancel|retry`: file an erasure and follow it, against the stack given by
// --stack-outputs / --stack (default .lethe/local.json; cli/work/erasureCommands.ts does the work).
// Parsing and printing only. Exit codes: 0 done (erase --wait: COMPLETED), 1 the erasure did not
// complete, 2 bad input (nothing was changed).
import { Command } from "commander";
import { StackFlags, UsageError, action, examples, jsonOption, stackOptions, wholeNumber } from "./command";
import { stepProgress } from "../local/progress";
import { eraseWaitAfter, narrateWaits, stepWait, withWaitLabel } from "./waits";
import type { BatchStep } from "./work/batchSteps";
import type { ErasureVerdict, ReportSearched } from "../runtime/contracts/report";
import { formatBytes } from "../runtime/erasure/report/reportView";
import { searchedText } from "../runtime/erasure/report/verdict";

function print(value: unknown, json: boolean, text: (v: Record<string, unknown>) => string): void {
  process.stdout.write(
    (json ? JSON.stringify(value, null, 2) : text(value as Record<string, unknown>)) + "\n",
  );
}

const stackOf = (o: StackFlags) => ({ stackOutputsFile: o.stackOutputs, stack: o.stack });

/**
 * What `erase` and `retry` show while they follow a batch: its step on one progress line, the work's
 * own lines on stderr, and a label for every wait (cli/waits.ts). `end` closes both when the work ends.
 */
function followDisplay(command: string, o: StackFlags & { drainSeconds: number }, firstWait: string) {
  const steps = stepProgress(command, { plainIntervalMs: 2000 });
  // Its plain progress lines come at most every 2 s: a line of its own only when they stop.
  const waits = narrateWaits(command, { afterMs: 2500 });
  waits.waitingFor(firstWait);
  return {
    options: {
      ...stackOf(o),
      drainSeconds: o.drainSeconds,
      progress: (line: string) => {
        steps.done();
        process.stderr.write(`${command}: ${line}\n`);
        waits.waitingFor(eraseWaitAfter(line));
      },
      onStep: (s: BatchStep) => {
        steps.at(s.step, s.done, s.total, s.text);
        waits.waitingFor(stepWait(s, o.drainSeconds));
      },
    },
    end: () => {
      steps.done();
      waits.stop();
    },
  };
}

interface EraseOptions extends StackFlags {
  idsFile?: string;
  reason?: string;
  requestedBy?: string;
  wait?: boolean;
  json?: boolean;
  force?: boolean;
  drainSeconds: number;
}

async function eraseCommand(ids: string[], o: EraseOptions): Promise<number> {
  const { erase, eraseSubjects } = await import("./work/erasureCommands");
  if (!o.force) {
    // Bad input is refused first (exit 2, before reading any stack); then the stack must be fit.
    eraseSubjects({ ids, idsFile: o.idsFile });
    const { mustHaveFindings } = await import("./work/doctor");
    const { doctorText } = await import("./doctor");
    const findings = await mustHaveFindings({ stackOutputs: o.stackOutputs, stack: o.stack });
    if (findings.length > 0) {
      process.stderr.write(
        `lethe erase: not started: the stack fails ${findings.length} must-have check(s) of \`lethe doctor\`; ` +
          "fix them, or pass --force to start anyway\n" +
          doctorText(findings) +
          "\n",
      );
      return 1;
    }
  }
  const display = followDisplay(
    "lethe erase",
    o,
    "the request function (packaged as `pulumi up` would, then run), to file the request",
  );
  const result = await erase(
    { ids, idsFile: o.idsFile, reason: o.reason, requestedBy: o.requestedBy, wait: o.wait === true },
    display.options,
  ).finally(display.end);
  print(result, o.json === true, (r) => {
    const req = r.request as Record<string, unknown>;
    const status = r.status as Record<string, unknown> | undefined;
    // A local stack's erasure names its trace (local/traceCollector.ts).
    const trace = r.trace ? `; trace ${r.trace}` : "";
    return status
      ? `request ${req.requestId}: ${status.state}${status.stateReason ? ` (${status.stateReason})` : ""}${status.report ? `; report ${status.report}` : ""}${trace}`
      : `request ${req.requestId}: ${req.status}, ${req.subjects} subject(s), deadline ${req.deadline}${trace}`;
  });
  return result.ok ? 0 : 1;
}

/** What `status` says of a reported request: the verdict and, when nothing was found, where Lethe looked. */
function verdictLine(verdict: ErasureVerdict, searched: ReportSearched | undefined): string {
  if (verdict !== "NOTHING_FOUND" || !searched) return `verdict ${verdict}`;
  return (
    `verdict NOTHING_FOUND: no data of the subjects was found in ${searchedText(searched)} ` +
    `(${formatBytes(searched.bytesScanned)} scanned)`
  );
}

async function statusCommand(requestId: string, o: StackFlags & { json?: boolean }): Promise<number> {
  const { requestStatusOf } = await import("./work/erasureCommands");
  const s = await withWaitLabel("lethe status", "the status function", () =>
    requestStatusOf(requestId, stackOf(o)),
  );
  print(s, o.json === true, (v) =>
    [
      `request ${v.requestId}: ${v.state}`,
      `  deadline ${v.deadline} (${v.daysLeft} day(s) left${v.overdue ? ", OVERDUE" : ""})`,
      ...(v.batch
        ? [
            `  batch ${(v.batch as Record<string, unknown>).batchId}: ${(v.batch as Record<string, unknown>).state}`,
          ]
        : []),
      ...(v.verdict ? [`  ${verdictLine(v.verdict as ErasureVerdict, v.searched as ReportSearched)}`] : []),
      ...(v.report ? [`  report ${v.report}`] : []),
      // A request larger than one batch: one line per part and its batch.
      ...((v.parts as Record<string, unknown>[] | undefined) ?? []).map((p, i, all) => {
        const b = p.batch as Record<string, unknown> | undefined;
        return (
          `  part ${i + 1}/${all.length} ${p.requestId}: ${p.state}, ${p.subjects} subject(s)` +
          (b ? `, batch ${b.batchId} ${b.state}` : "")
        );
      }),
    ].join("\n"),
  );
  return 0;
}

function decisionCommand(decision: "approve" | "reject") {
  return async (batchId: string, o: StackFlags & { reason?: string; by?: string }): Promise<number> => {
    if (decision === "reject" && !o.reason) throw new UsageError("reject needs --reason <text>");
    const { decide } = await import("./work/erasureCommands");
    const reply = (await withWaitLabel(`lethe ${decision}`, "the approval function", () =>
      decide(
        batchId,
        decision,
        { ...(o.reason ? { reason: o.reason } : {}), by: o.by ?? process.env.USER ?? "cli" },
        stackOf(o),
      ),
    )) as { message: string };
    process.stdout.write(`${reply.message}\n`);
    return 0;
  };
}

async function cancelCommand(id: string, o: StackFlags & { reason?: string }): Promise<number> {
  const { cancel } = await import("./work/erasureCommands");
  const reply = (await withWaitLabel("lethe cancel", "the cancel function", () =>
    cancel(id, o.reason, stackOf(o)),
  )) as { message: string };
  process.stdout.write(`${reply.message}\n`);
  return 0;
}

async function retryCommand(
  batchId: string,
  o: StackFlags & { by?: string; wait?: boolean; json?: boolean; drainSeconds: number },
): Promise<number> {
  const { retry } = await import("./work/erasureCommands");
  const display = followDisplay("lethe retry", o, "the batch function, to resume the batch");
  const result = await retry(
    batchId,
    { by: o.by ?? process.env.USER ?? "cli", wait: o.wait === true },
    display.options,
  ).finally(display.end);
  print(result, o.json === true, (r) => {
    const statuses = (r.statuses as Record<string, unknown>[] | undefined) ?? [];
    return [
      (r.retry as { message: string }).message,
      ...statuses.map(
        (s) =>
          `request ${s.requestId}: ${s.state}${s.stateReason ? ` (${s.stateReason})` : ""}${s.report ? `; report ${s.report}` : ""}`,
      ),
    ].join("\n");
  });
  return result.ok ? 0 : 1;
}

async function optInCommand(
  ids: string[],
  o: StackFlags & { reason?: string; by?: string },
): Promise<number> {
  if (!o.reason) throw new UsageError("opt-in needs --reason <text> (it is audited)");
  const { optIn } = await import("./work/erasureCommands");
  const reply = (await optIn(ids, o.reason, o.by ?? process.env.USER ?? "cli", stackOf(o))) as {
    message: string;
  };
  process.stdout.write(`${reply.message}\n`);
  return 0;
}

export function registerErasure(program: Command): void {
  examples(
    action(
      stackOptions(
        program
          .command("erase")
          .description(
            "file an erasure request for the customer IDs; with --wait, run its batch to the end (locally in this process) and exit 0 only when it COMPLETED",
          )
          .argument("[ids...]", "customer IDs")
          .option("--ids-file <file>", "more IDs, one per line (composite keys tab-separated)")
          .option("--reason <text>", "why (recorded with the request)")
          .option("--requested-by <who>", "who asked (recorded with the request)")
          .option("--wait", "follow the request's batch to its end")
          .option("--force", "start even when the stack fails a must-have check of `lethe doctor`")
          .option(
            "--drain-seconds <n>",
            "locally, how long the batch waits for more requests",
            wholeNumber("drain-seconds", 0),
            10,
          )
          .addOption(jsonOption()),
      ),
      eraseCommand,
    ),
    [
      "lethe erase cust-0042 cust-0137 --reason 'customer request #123' --wait",
      "lethe erase --ids-file ids.txt --stack prod --json",
    ],
    "0 filed (with --wait: COMPLETED); 1 the erasure did not complete (or did not start: the stack fails a must-have check of `lethe doctor`); 2 usage error, nothing changed",
  );
  examples(
    action(
      stackOptions(
        program
          .command("status")
          .description("a request's state, deadline, days left, its batch and its report's location")
          .argument("<requestId>", "the request")
          .addOption(jsonOption()),
      ),
      statusCommand,
    ),
    ["lethe status 5f0c…", "lethe status 5f0c… --stack prod --json"],
  );
  examples(
    action(
      stackOptions(
        program
          .command("approve")
          .description("approve a batch waiting on its plan: purging starts")
          .argument("<batchId>", "the batch")
          .option("--by <who>", "who approves (default $USER)"),
      ),
      decisionCommand("approve"),
    ),
    ["lethe approve batch-2026-12-01-0001 --by dpo@example.com"],
  );
  examples(
    action(
      stackOptions(
        program
          .command("reject")
          .description("reject a batch waiting on its plan: its requests end REJECTED")
          .argument("<batchId>", "the batch")
          .option("--reason <text>", "why (required)")
          .option("--by <who>", "who rejects (default $USER)"),
      ),
      decisionCommand("reject"),
    ),
    ["lethe reject batch-2026-12-01-0001 --reason 'plan touches the finance lake'"],
  );
  examples(
    action(
      stackOptions(
        program
          .command("cancel")
          .description(
            "cancel a request not yet batched, or a batch (its execution stops, its requests end CANCELLED)",
          )
          .argument("<id>", "a request ID or a batch ID")
          .option("--reason <text>", "why"),
      ),
      cancelCommand,
    ),
    ["lethe cancel 5f0c… --reason 'filed twice'"],
  );
  examples(
    action(
      stackOptions(
        program
          .command("retry")
          .description(
            "resume a batch that needs attention (or whose execution ended without moving it) from the step that failed: objects already purged are not purged again; refused once its raw IDs were dropped",
          )
          .argument("<batchId>", "the batch")
          .option("--by <who>", "who resumes it (default $USER)")
          .option("--wait", "follow its requests to their end (exit 0 only when all COMPLETED)")
          .option(
            "--drain-seconds <n>",
            "locally, the Drain wait of the resumed execution",
            wholeNumber("drain-seconds", 0),
            10,
          )
          .addOption(jsonOption()),
      ),
      retryCommand,
    ),
    [
      "lethe retry batch-20261201T103000Z-1a2b3c4d --wait",
      "lethe retry batch-20261201T103000Z-1a2b3c4d --stack prod",
    ],
    "0 resumed (with --wait: every request COMPLETED); 1 a request did not complete; 2 refused, nothing changed",
  );
  examples(
    action(
      stackOptions(
        program
          .command("opt-in")
          .description(
            "opt customers back in to ingest (their new data is kept again); refused while an open erasure holds them",
          )
          .argument("<ids...>", "customer IDs")
          .option("--reason <text>", "why (required, audited)")
          .option("--by <who>", "who decides (default $USER)"),
      ),
      optInCommand,
    ),
    ["lethe opt-in cust-0042 --reason 'erasure filed for the wrong customer, ticket 4712'"],
  );
}
