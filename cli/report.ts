// `lethe report <requestId>`: a request's erasure report from the stack's report bucket, as JSON, as
// Markdown, or as a self-contained printable HTML certificate of erasure. Parsing and printing only.
import * as fs from "node:fs";
import { Command, Option } from "commander";
import type { ErasureReport } from "../runtime/contracts/report";
import { StackFlags, action, examples, stackOptions } from "./command";

export const formats = ["json", "md", "html"] as const;
export type Format = (typeof formats)[number];

interface ReportOptions extends StackFlags {
  format: Format;
  out?: string;
}

/** The report as the format renders it (the renderers load on first use). */
export async function renderReport(report: ErasureReport, format: Format): Promise<string> {
  if (format === "html") return (await import("../runtime/erasure/report/html")).renderReportHtml(report);
  if (format === "md")
    return (await import("../runtime/erasure/report/markdown")).renderReportMarkdown(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}

async function reportCommand(requestId: string, o: ReportOptions): Promise<number> {
  const { fetchReport } = await import("./work/reports");
  const report = await fetchReport(requestId, { stackOutputs: o.stackOutputs, stack: o.stack });
  const text = await renderReport(report, o.format);
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
