// `lethe report <requestId>`: a request's erasure report from the stack's report bucket, as JSON, as
// Markdown, or as a self-contained printable HTML certificate of erasure.
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { CommandGroup, UsageError } from "./command";
import { defaultStackOutputsFile } from "../tools/invoke";
import { fetchReport } from "../tools/reports";
import { renderReportHtml } from "../runtime/erasure/report/html";
import { renderReportMarkdown } from "../runtime/erasure/report/markdown";

const formats = ["json", "md", "html"] as const;

const usage = `lethe report <requestId> [--format json|md|html] [--out <file>] [--stack-outputs <file>]
    the request's erasure report (keyed subject hashes only) from the stack's report bucket: JSON
    (default), Markdown, or a printable HTML certificate of erasure; printed, or written to --out.
    The stack is the outputs file's (default ${defaultStackOutputsFile}, from \`lethe up --local\`; or
    \`pulumi stack output --json\` of a deployed stack)`;

export const reportCommands: CommandGroup = {
  usage,
  async run(args) {
    let values: Record<string, string | undefined>;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args,
        options: { format: { type: "string" }, out: { type: "string" }, "stack-outputs": { type: "string" } },
        allowPositionals: true,
        strict: true,
      }) as { values: Record<string, string | undefined>; positionals: string[] });
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${usage}`);
    }
    if (positionals.length !== 1) throw new UsageError(`name one request id\n\n${usage}`);
    const format = values.format ?? "json";
    if (!(formats as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be one of ${formats.join(", ")}, got '${format}'`);
    }
    const report = await fetchReport(positionals[0], values["stack-outputs"] ?? defaultStackOutputsFile);
    const text =
      format === "html"
        ? renderReportHtml(report)
        : format === "md"
          ? renderReportMarkdown(report)
          : `${JSON.stringify(report, null, 2)}\n`;
    if (values.out) {
      fs.writeFileSync(values.out, text);
      process.stderr.write(`lethe: wrote the ${format} report of ${report.requestId} to ${values.out}\n`);
    } else {
      process.stdout.write(text);
    }
    return 0;
  },
};
