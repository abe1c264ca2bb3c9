// `lethe retention plan`: what the retention schedule would erase from each data mapper that declares
// `retention`, and what it would cost, before anything goes; `lethe retention run`: the packaged
// retention function run as its schedule runs it, and what went (cli/work/retention.ts does the work).
// Parsing and printing only.
import { Command } from "commander";
import type { RetentionPlan } from "../runtime/erasure/retention/plan";
import type { RetentionReply } from "../runtime/handlers/retention";
import { formatBytes } from "../runtime/erasure/report/reportView";
import { StackFlags, UsageError, action, examples, jsonOption, stackOptions } from "./command";

interface PlanOptions extends StackFlags {
  mapper?: string;
  now?: string;
  json?: boolean;
}

function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime()))
    throw new UsageError(
      `--now must be an ISO-8601 time (2026-12-07T12:00:00Z), got ${JSON.stringify(text)}`,
    );
  return d;
}

export function renderRetentionPlan(p: RetentionPlan): string[] {
  const drops = p.objects.filter((o) => o.action === "drop");
  const purges = p.objects.filter((o) => o.action === "purge");
  const by = p.rule.timeColumn ? `by ${p.rule.timeColumn}` : "by date partition only";
  const lines = [
    `mapper ${p.mapper}: keep ${p.rule.days} day(s) (${by}); rows before ${p.cutoff} go`,
    `  partitions dropped whole (not read): ${p.partitionsDropped.length ? p.partitionsDropped.join(", ") : "none"}`,
    ...drops.map(
      (o) =>
        `  drop     ${o.key}: every version (${o.versions}), ` +
        (o.scannedVersionId
          ? `all ${o.rowsExpired} row(s) older by ${p.rule.timeColumn}`
          : `${o.bytes} bytes, not read`),
    ),
    ...purges.map(
      (o) =>
        `  rewrite  ${o.key}: ${o.rowsExpired} of ${o.rows} row(s) older, ${o.versions} version(s) checked`,
    ),
    `  kept untouched: ${p.objectsKept} object(s)`,
    `  would go: ${drops.length} object(s) dropped, ${purges.length} rewritten, ${p.rowsEstimate} row(s) by count` +
      (drops.length ? " plus the dropped objects' rows" : "") +
      `, ${formatBytes(p.bytes)}`,
    `  cost: ${p.cost.listRequests} LIST, ${p.cost.getRequests} GET/HEAD, ${p.cost.putRequests} PUT, ` +
      `${p.cost.deleteRequests} DELETE request(s) at most; ${formatBytes(p.cost.bytesRead)} read; ` +
      `about $${p.cost.requestsUsd.toFixed(6)} in S3 requests (S3 Standard list prices)`,
  ];
  return lines;
}

async function planCommand(o: PlanOptions): Promise<number> {
  const now = parseNow(o.now);
  const { resolveStackOutputs, useStackEnvironment } = await import("./work/stackOutputs");
  const resolved = resolveStackOutputs(o);
  useStackEnvironment(resolved.outputs);
  const { retentionPlans } = await import("./work/retention");
  const plans = await retentionPlans(resolved.outputs, { mapper: o.mapper, now });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(plans, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `lethe retention plan (as of ${now.toISOString()}): nothing is changed`,
    ...plans.flatMap(renderRetentionPlan),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

export function renderRetentionRuns(reply: RetentionReply): string[] {
  return reply.runs.flatMap((r) => [
    `mapper ${r.mapper}: ${r.verdict}; ${r.totals.objectsDropped} object(s) dropped, ` +
      `${r.totals.objectsRewritten} rewritten, ${r.totals.objectsKept} kept, ${r.totals.objectsFailed} failed; ` +
      `${r.totals.rowsRemoved} row(s) removed by count, ${r.totals.versionsDeleted} version(s) deleted, ` +
      `${r.totals.versionsWritten} written`,
    `  signed report: ${r.report}`,
  ]);
}

async function runCommand(o: PlanOptions): Promise<number> {
  const now = parseNow(o.now);
  const { resolveStackOutputs, useStackEnvironment } = await import("./work/stackOutputs");
  const resolved = resolveStackOutputs(o);
  useStackEnvironment(resolved.outputs);
  const { runRetentionFunction } = await import("./work/retention");
  const result = await runRetentionFunction(resolved.outputs, {
    mapper: o.mapper,
    now,
    stackOutputsFile: o.stackOutputs,
    stack: o.stack,
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.failed ? 1 : 0;
  }
  if (result.failed) {
    const e = result.reply as { errorType?: string; errorMessage?: string };
    process.stderr.write(
      `lethe: retention function ${result.functionName} failed: ${e.errorType ?? "Error"}: ${e.errorMessage ?? JSON.stringify(e)}\n`,
    );
    return 1;
  }
  const lines = [
    `lethe retention run (as of ${now.toISOString()}): ${result.functionName} (${result.where}) ran as its schedule does`,
    ...renderRetentionRuns(result.reply as RetentionReply),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

export function registerRetention(program: Command): void {
  const retention = program
    .command("retention")
    .description("retention erasure: rows older than a data mapper's retention.days (docs/retention.md)");
  examples(
    action(
      stackOptions(
        retention
          .command("plan")
          .description(
            "what the retention schedule would erase (objects, rows, bytes, partitions dropped whole) and its cost; changes nothing",
          )
          .option("--mapper <name>", "one data mapper (default: every one that declares retention)")
          .option("--now <time>", "plan as of this ISO-8601 time instead of now")
          .addOption(jsonOption()),
      ),
      planCommand,
    ),
    ["lethe retention plan", "lethe retention plan --mapper events --json"],
  );
  examples(
    action(
      stackOptions(
        retention
          .command("run")
          .description(
            "run the stack's retention function now, as its schedule does (the scheduled event, its time --now): erases what is older and prints what went and where each signed report is",
          )
          .option("--mapper <name>", "one data mapper (default: every one that declares retention)")
          .option("--now <time>", "the run's time (the scheduled event's time) instead of now")
          .addOption(jsonOption()),
      ),
      runCommand,
    ),
    ["lethe retention run", "lethe retention run --mapper events --now 2026-12-07T12:00:00Z --json"],
  );
}
