// `lethe report <requestId>`: a request's erasure report from the stack's report bucket, as JSON, as
// Markdown, or as a self-contained printable HTML certificate of erasure. Parsing and printing only.
import * as fs from "node:fs";
import { Command, Option } from "commander";
import type { ErasureReport } from "../runtime/contracts/report";
import type { SignedReportBytes } from "../runtime/contracts/reportSignature";
import { StackFlags, action, examples, exitCodes, jsonOption, stackOptions } from "./command";

export const formats = ["json", "md", "html"] as const;
export type Format = (typeof formats)[number];

interface ReportOptions extends StackFlags {
  format: Format;
  out?: string;
}

/** The report as the format renders it (the renderers load on first use). */
export async function renderReport(
  report: ErasureReport,
  format: Format,
  signed?: SignedReportBytes,
): Promise<string> {
  if (format === "html")
    return (await import("../runtime/erasure/report/html")).renderReportHtml(report, signed);
  if (format === "md")
    return (await import("../runtime/erasure/report/markdown")).renderReportMarkdown(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}

async function reportCommand(requestId: string, o: ReportOptions): Promise<number> {
  const { fetchSignedReport } = await import("./work/reports");
  const { report, signed } = await fetchSignedReport(requestId, {
    stackOutputs: o.stackOutputs,
    stack: o.stack,
  });
  const text = await renderReport(report, o.format, signed);
  if (o.out && o.format === "json" && signed) {
    // The bytes exactly as stored and signed, and the signature beside them (what openssl checks).
    fs.writeFileSync(o.out, signed.bytes);
    if (signed.signature) fs.writeFileSync(`${o.out}.sig`, signed.signature);
    process.stderr.write(
      `lethe: wrote the report of ${report.requestId} to ${o.out}` +
        `${signed.signature ? ` and its signature to ${o.out}.sig` : " (unsigned)"}\n`,
    );
  } else if (o.out) {
    fs.writeFileSync(o.out, text);
    process.stderr.write(`lethe: wrote the ${o.format} report of ${report.requestId} to ${o.out}\n`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}

interface VerifyOptions {
  publicKey?: string;
  signature?: string;
  json?: boolean;
}

async function verifyCommand(file: string, o: VerifyOptions): Promise<number> {
  const { verifyReportFile } = await import("./work/reportVerify");
  const result = verifyReportFile(file, o);
  if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    process.stdout.write(
      `${result.ok ? "VERIFIED" : "NOT VERIFIED"}: ${file}\n${result.lines.map((l) => `  ${l}\n`).join("")}`,
    );
  return result.ok ? exitCodes.ok : exitCodes.failure;
}

export function registerReport(program: Command): void {
  const report = program.command("report");
  examples(
    action(
      report
        .command("verify")
        .description(
          "check a saved report's signature offline (report.json with report.json.sig beside it, or a certificate.html) and say what it proves",
        )
        .argument("<file>", "report.json (from lethe report --out report.json) or certificate.html")
        .option("--public-key <file.pem>", "the stack's public key (its reportSigningPublicKey output)")
        .option("--signature <file>", "the DER signature of a report.json (default <file>.sig)")
        .addOption(jsonOption()),
      verifyCommand,
    ),
    ["lethe report verify report.json --public-key stack.pem", "lethe report verify certificate.html"],
    "0 the signature is valid (and a certificate shows exactly the signed report); 1 it is not; 2 usage error (no such file, no signature)",
  );
  examples(
    action(
      stackOptions(
        report
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
