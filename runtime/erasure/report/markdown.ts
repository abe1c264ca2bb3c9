// A report as Markdown, for a ticket or a commit: every value escaped, so a reason or a store's error
// text cannot add a table cell, a link or HTML.
import type { ErasureReport } from "../../contracts/report";
import { reportView } from "./reportView";

/** Markdown-inert text on one line: backslash-escapes the inline syntax characters, HTML-escapes `<`, `>` and `&`. */
export function escapeMarkdown(text: string): string {
  return (
    text
      .replace(/\r?\n|\r/g, " ")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      // Values sit inside table cells, bold or italics, never at a line's start: these are the
      // characters that could still open emphasis, code, a link or a cell there.
      .replace(/([\\`*_[\]|~])/g, "\\$1")
  );
}

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.map(escapeMarkdown).join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map((c) => (c === "" ? " " : escapeMarkdown(c))).join(" | ")} |`),
  ];
}

export function renderReportMarkdown(report: ErasureReport): string {
  const v = reportView(report);
  const e = escapeMarkdown;
  const out: string[] = [
    `# ${e(v.title)}: request ${e(report.requestId)}`,
    "",
    `**${e(v.verdict)}**`,
    "",
    ...(v.attention.length ? ["## Needs attention", "", ...table(["", ""], v.attention), ""] : []),
    ...table(["", ""], v.facts),
    "",
    "## Totals",
    "",
    ...table(["", ""], v.totals),
    "",
    "## Steps",
    "",
    ...table(
      ["Step", "Started (UTC)", "Ended (UTC)", "Took", "Counts"],
      v.steps.map((s) => [s.step, s.started, s.ended, s.took, s.counts]),
    ),
    "",
    "## What was erased, where",
    "",
    ...table(
      [
        "Kind",
        "Name",
        "Outcome",
        "Plan",
        "Objects rewritten",
        "Versions deleted",
        "Rows removed",
        "Bytes scanned",
        "Note",
      ],
      v.targets.map((t) => [
        t.kind,
        t.name,
        t.outcome,
        t.planned,
        t.objects,
        t.versions,
        t.rows,
        t.scanned,
        t.reason,
      ]),
    ),
    "",
  ];
  if (v.verification.length) out.push("## Verification", "", ...table(["", ""], v.verification), "");
  if (v.approval.length) out.push("## Approval", "", ...table(["", ""], v.approval), "");
  out.push("## Signature", "", ...table(["", ""], v.signature), "");
  out.push(
    "## Where each count is in the report's JSON",
    "",
    ...table(["Label", "JSON field"], v.fields),
    "",
  );
  out.push("## Raw IDs", "", e(v.rawIds), "");
  out.push(
    `## Subjects (${v.subjects.length}, keyed hashes)`,
    "",
    ...v.subjects.map((h) => `- \`${h.replace(/`/g, "")}\``),
    "",
  );
  out.push(
    "## Audit trail",
    "",
    ...table(
      ["At", "Event", "Detail"],
      v.audit.map((a) => [a.at, a.event, a.detail]),
    ),
    "",
  );
  out.push(`_${e(v.footer)}_`, "");
  return out.join("\n");
}
