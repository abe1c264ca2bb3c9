// `lethe report <requestId>`: a request's erasure report from the stack's report bucket, as JSON, as
// Markdown, or as a self-contained printable HTML certificate of erasure. Parsing and printing only.
import * as fs from "node:fs";
import { Command, Option } from "commander";
import { StackFlags, action, examples, stackOptions } from "./command";

const formats = ["json", "md", "html"] as const;
type Format = (typeof formats)[number];

interface ReportOptions extends StackFlags {
  format: Format;
  out?: string;
}

async function reportCommand(requestId: string, o: ReportOptions): Promise<number> {
  const { fetchReport } = await import("../tools/reports");
  const report = await fetchReport(requestId, { stackOutputs: o.stackOutputs, stack: o.stack });
  let text: string;
  if (o.format === "html") text = (await import("../runtime/erasure/report/html")).renderReportHtml(report);
  else if (o.format === "md")
    text = (await import("../runtime/erasure/report/markdown")).renderReportMarkdown(report);
  else text = `${JSON.stringify(report, null, 2)}\n`;
  if (o.out) {
    fs.writeFileSync(o.out, text);
    process.stderr.write(`lethe: wrote the ${o.format} report of ${report.requestId} to ${o.out}\n`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}

export function registerReport(program: Command): void {
  examples(
    action(
      stackOptions(
        program
          .command("report")
          .description(
            "a request's erasure report (keyed subject hashes only): JSON, Markdown, or a printable HTML certificate",
          )
          .argument("<requestId>", "the request")
          .addOption(new Option("--format <format>", "json, md or html").choices(formats).default("json"))
          .option("--out <file>", "write the report to this file instead of stdout"),
      ),
      reportCommand,
    ),
    [
      "lethe report 5f0c…",
      "lethe report 5f0c… --format html --out certificate.html",
      "lethe report 5f0c… --stack prod --format md",
    ],
    "0 printed or written; 2 usage error (unknown request, bad format)",
  );
}
