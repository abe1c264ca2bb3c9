// `lethe demo`: the whole job on a local stack (cli/work/demo.ts does it): up, a sample lake through the
// ingest path, an erasure through the state machine, the report, re-ingestion stopped. Progress on
// stderr; on stdout a short summary ending in the request's state, or with --json the whole result.
// Exit 0 when the erasure COMPLETED and no erased customer's new record reached the lake.
import * as fs from "node:fs";
import { Command } from "commander";
import { UsageError, action, examples, jsonOption, wholeNumber } from "./command";
import { defaultLogFile, divertFunctionLogs } from "./functionLogs";
import { stepProgress } from "../local/progress";
import { eraseWaitAfter, narrateWaits } from "./waits";
import { formats, renderReport } from "./report";

interface DemoFlags {
  erase: string;
  customers: number;
  objectsPerDay: number;
  rows: number;
  json?: boolean;
  reportOut?: string;
  verbose?: boolean;
  logFile?: string;
}

const count = (n: number) => n.toLocaleString("en-GB");

/** What the summary shows of the report's facts and totals (reportView's names). */
const summaryFacts = [
  "Request",
  "Subjects",
  "Deadline",
  "Completed",
  "Rows removed",
  "Objects rewritten",
  "Object versions deleted",
  "Verification",
];

/** What the demo waits for after one of its lines. */
function demoWaitAfter(line: string): string {
  if (line.startsWith("starting the local AWS emulator")) return "the emulator, then the program under mocks";
  if (line.startsWith("stack "))
    return "the ingest guard (packaged as `pulumi up` would) and the sample lake";
  if (line.startsWith("lake ")) return "the functions of the erasure (packaged) and the request";
  if (line.startsWith("erase: ")) return eraseWaitAfter(line.slice("erase: ".length)) ?? "the report";
  return "the demo's next step";
}

async function demo(o: DemoFlags): Promise<number> {
  const subjects = o.erase
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (subjects.length === 0) throw new UsageError("--erase needs at least one customer ID");
  const reportFormat = o.reportOut ? formats.find((f) => o.reportOut!.endsWith(`.${f}`)) : undefined;
  if (o.reportOut && !reportFormat)
    throw new UsageError(`--report-out ${o.reportOut}: name a .html, .md or .json file`);
  // The functions' own logs would drown the demo's progress; warnings and errors still show.
  process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  const { runDemo } = await import("./work/demo");
  const options = { subjects, customers: o.customers, objectsPerDay: o.objectsPerDay, rowsPerObject: o.rows };
  const steps = stepProgress("lethe demo", { plainIntervalMs: 2000 });
  // Its plain progress lines come at most every 2 s: a line of its own only when they stop.
  const waits = narrateWaits("lethe demo", { afterMs: 2500 });
  waits.waitingFor("the program under mocks and the local stack");
  const logs = o.verbose ? undefined : divertFunctionLogs(o.logFile ?? defaultLogFile("demo"));
  if (logs)
    process.stderr.write(`lethe demo: the functions' logs go to ${logs.file} (--verbose shows them here)\n`);
  const result = await runDemo(options, {
    step: (step, done, total, text) => {
      steps.at(step, done, total, text);
      // The step, not its latest item: the time it names is the step's so far.
      waits.waitingFor(step);
    },
    line: (text) => {
      steps.done();
      process.stderr.write(`lethe demo: ${text}\n`);
      waits.waitingFor(demoWaitAfter(text));
    },
  }).finally(() => {
    steps.done();
    logs?.restore();
    waits.stop();
  });
  if (logs) process.stderr.write(`lethe demo: ${logs.records()} function log record(s) in ${logs.file}\n`);

  if (o.reportOut && reportFormat && result.report) {
    fs.writeFileSync(o.reportOut, await renderReport(result.report, reportFormat));
    process.stderr.write(`lethe demo: wrote the report to ${o.reportOut}\n`);
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const { reportView } = await import("../runtime/erasure/report/reportView");
    const lines = [
      `Lake: ${count(result.lake.objects)} GZIP Parquet objects, ${count(result.lake.rows)} rows of ` +
        `${count(result.lake.customers)} customers, written through the ingest guard`,
    ];
    if (result.report) {
      const view = reportView(result.report);
      lines.push(view.verdict);
      const facts = new Map([...view.facts, ...view.totals]);
      for (const key of summaryFacts) lines.push(`  ${key.padEnd(24)}${facts.get(key) ?? "—"}`);
    } else {
      lines.push(`Request ${result.erasure.request.requestId}: no report (${result.state})`);
    }
    const r = result.reingest;
    lines.push(
      `Re-ingestion: ${count(r.dropped)} of ${count(r.ofErasedCustomers)} new records of the erased customers ` +
        `dropped by the ingest guard; ${count(r.reachedLake)} reached the lake`,
      `Took ${result.seconds.toFixed(1)} s; the full report: lethe demo --json, or --report-out certificate.html`,
      result.state,
    );
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  return result.ok ? 0 : 1;
}

export function registerDemo(program: Command): void {
  examples(
    action(
      program
        .command("demo")
        .description(
          "the whole job on a local stack: up, a sample lake through the ingest guard, an erasure through the state machine, its report, re-ingestion stopped",
        )
        .option("--erase <ids>", "comma-separated customer IDs to erase", "cust-0042,cust-0137")
        .option("--customers <n>", "customers in the sample lake", wholeNumber("customers", 1), 500)
        .option(
          "--objects-per-day <n>",
          "Parquet objects per day (two days)",
          wholeNumber("objects-per-day", 1),
          3,
        )
        .option("--rows <n>", "rows per object", wholeNumber("rows", 10), 20000)
        .option("--report-out <file>", "also write the report: .html (the certificate), .md or .json")
        .option(
          "--verbose",
          "show the functions' own logs (JSON) on stderr instead of writing them to a file",
        )
        .option("--log-file <file>", "where the functions' logs go (default .lethe/logs/demo-<time>.log)")
        .addOption(jsonOption()),
      demo,
    ),
    [
      "lethe demo",
      "lethe demo --json | python3 -m json.tool",
      "lethe demo --erase cust-0001,cust-0002 --rows 2000 --report-out certificate.html",
    ],
    "0 the erasure completed and no erased customer's new record reached the lake; 1 it did not; 2 usage error",
  );
}
