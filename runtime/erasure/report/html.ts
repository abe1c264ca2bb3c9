// A report as a self-contained, printable HTML certificate of erasure: one file, inline CSS, no
// script, no external asset (fonts, images, links), A4 print styles. Every value is HTML-escaped, so
// a reason or a store's error text cannot inject markup. A signed report's certificate carries the
// signed bytes and the signature (base64, in <meta> elements), so `lethe report verify
// certificate.html` checks the signature and that the page is exactly what those bytes render to.
import type { ErasureReport } from "../../contracts/report";
import type { SignedReportBytes } from "../../contracts/reportSignature";
import { reportView } from "./reportView";

/** The <meta> names the signed bytes and the signature travel under in a certificate. */
export const certificateMetaNames = { report: "lethe-signed-report", signature: "lethe-report-signature" };

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The certificate's one style sheet (inline): pages that show a certificate allow it by its hash. */
export const certificateCss = `
@page { size: A4; margin: 14mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1b1f24; margin: 0; background: #eef0f3; }
main { max-width: 210mm; margin: 24px auto; background: #fff; padding: 18mm 16mm; box-shadow: 0 2px 12px rgba(0,0,0,.12); border-top: 8px solid #24476b; }
header { display: flex; justify-content: space-between; align-items: flex-start; border-bottom: 2px solid #24476b; padding-bottom: 10px; margin-bottom: 14px; }
h1 { font-size: 22pt; margin: 0; color: #24476b; letter-spacing: .02em; }
.subtitle { margin: 4px 0 0; color: #555; }
h2 { font-size: 12.5pt; color: #24476b; border-bottom: 1px solid #c9d3de; padding-bottom: 3px; margin: 18px 0 8px; }
.state { font-weight: bold; font-size: 12pt; padding: 6px 14px; border-radius: 4px; border: 2px solid; white-space: nowrap; }
.tone-ok .state { color: #1d6b36; border-color: #1d6b36; background: #e8f5ec; }
.tone-stop .state { color: #8a1f1f; border-color: #8a1f1f; background: #fbeaea; }
.tone-warn .state { color: #7a5300; border-color: #7a5300; background: #fff5df; }
.verdict { font-size: 11.5pt; font-weight: bold; padding: 8px 12px; border-left: 5px solid; margin: 0 0 12px; }
.tone-ok .verdict { border-color: #1d6b36; background: #f3faf5; }
.tone-stop .verdict { border-color: #8a1f1f; background: #fdf4f4; }
.tone-warn .verdict { border-color: #7a5300; background: #fffaf0; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; vertical-align: top; padding: 4px 6px; border-bottom: 1px solid #e1e6ec; }
td:last-child { overflow-wrap: anywhere; }
th { background: #f2f5f8; font-weight: 600; font-size: 9.5pt; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
.facts th { width: 32%; background: none; color: #555; font-weight: normal; }
.totals { display: grid; grid-template-columns: repeat(5, 1fr); gap: 8px; margin: 8px 0 4px; }
.total { border: 1px solid #c9d3de; border-radius: 4px; padding: 6px 8px; }
.total .label { display: block; font-size: 8.5pt; color: #555; }
.total .value { display: block; font-size: 11pt; font-weight: bold; word-break: break-word; }
.hashes { columns: 2; font: 8.5pt/1.5 "DejaVu Sans Mono", Menlo, monospace; margin: 0; padding-left: 18px; }
.small { font-size: 9pt; }
pre.key { font: 8pt/1.4 "DejaVu Sans Mono", Menlo, monospace; background: #f6f8fa; padding: 6px 8px; margin: 4px 0; white-space: pre-wrap; }
code { font: 8.5pt "DejaVu Sans Mono", Menlo, monospace; color: #555; }
footer { margin-top: 18px; padding-top: 8px; border-top: 1px solid #c9d3de; color: #555; font-size: 8.5pt; }
@media print {
  body { background: #fff; }
  main { margin: 0; padding: 0; max-width: none; box-shadow: none; border-top: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  tr, .total, .verdict { break-inside: avoid; }
}
`;

function rowsOf(pairs: [string, string][]): string {
  return pairs
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join("\n");
}

/** A table; `numeric` columns align right, `times` columns do not wrap. */
function table(head: string[], rows: string[][], numeric: number[] = [], times: number[] = []): string {
  const th = head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("");
  const cls = (i: number) =>
    numeric.includes(i) ? ' class="num"' : times.includes(i) ? ' class="time"' : "";
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The certificate; `signed` (the report's bytes as stored and their signature) is embedded when given. */
export function renderReportHtml(report: ErasureReport, signed?: SignedReportBytes): string {
  const v = reportView(report, signed?.signature !== undefined);
  const e = escapeHtml;
  const section = (id: string, title: string, body: string) =>
    `<section id="${id}"><h2>${e(title)}</h2>\n${body}\n</section>`;
  const parts = [
    `<header><div><h1>${e(v.title)}</h1><p class="subtitle">Request <strong id="request-id">${e(report.requestId)}</strong> · GDPR Art. 17 erasure by Lethe</p></div>` +
      `<div class="state" id="state">${e(report.state)}</div></header>`,
    `<p class="verdict" id="verdict">${e(v.verdict)}</p>`,
    v.attention.length
      ? section(
          "attention",
          "Needs attention",
          `<table class="facts"><tbody>\n${rowsOf(v.attention)}\n</tbody></table>`,
        )
      : "",
    `<div class="totals" id="totals">${v.totals
      .map(
        ([k, val]) =>
          `<div class="total"><span class="label">${e(k)}</span><span class="value">${e(val)}</span></div>`,
      )
      .join("")}</div>`,
    section("request", "The request", `<table class="facts"><tbody>\n${rowsOf(v.facts)}\n</tbody></table>`),
    section(
      "steps",
      "Steps",
      table(
        ["Step", "Started (UTC)", "Ended (UTC)", "Took", "Counts"],
        v.steps.map((s) => [s.step, s.started, s.ended, s.took, s.counts]),
        [],
        [1, 2, 3],
      ),
    ),
    section(
      "targets",
      "What was erased, where",
      table(
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
        [4, 5, 6],
      ),
    ),
    v.verification.length
      ? section(
          "verification",
          "Verification",
          `<table class="facts"><tbody>\n${rowsOf(v.verification)}\n</tbody></table>`,
        )
      : "",
    v.approval.length
      ? section(
          "approval",
          "Approval",
          `<table class="facts"><tbody>\n${rowsOf(v.approval)}\n</tbody></table>`,
        )
      : "",
    section("raw-ids", "Raw IDs", `<p>${e(v.rawIds)}</p>`),
    section(
      "signature",
      "Signature",
      `<table class="facts"><tbody>\n${rowsOf(v.signature)}\n</tbody></table>` +
        (report.signedWith
          ? `\n<pre class="key" id="public-key">${e(report.signedWith.publicKey.trim())}</pre>`
          : ""),
    ),
    section(
      "fields",
      "Where each count is in the report's JSON",
      `<div class="small">${table(["Label", "JSON field"], v.fields)}</div>`,
    ),
    section(
      "subjects",
      `Subjects (${v.subjects.length}, keyed hashes)`,
      `<ol class="hashes">${v.subjects.map((h) => `<li>${e(h)}</li>`).join("")}</ol>`,
    ),
    section(
      "audit",
      "Audit trail",
      `<div class="small">${table(
        ["At", "Event", "Detail"],
        v.audit.map((a) => [a.at, a.event, a.detail]),
        [],
        [0],
      )}</div>`,
    ),
    `<footer id="footer">${e(v.footer)}</footer>`,
  ];
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    // No script, no external asset: the certificate renders the same offline and in ten years.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(`${v.title}: request ${report.requestId} (${report.state})`)}</title>`,
    ...(signed?.signature
      ? [
          `<meta name="${certificateMetaNames.report}" content="${signed.bytes.toString("base64")}">`,
          `<meta name="${certificateMetaNames.signature}" content="${signed.signature.toString("base64")}">`,
        ]
      : []),
    `<style>${certificateCss}</style>`,
    "</head>",
    `<body class="tone-${v.tone}">`,
    "<main>",
    ...parts.filter((p) => p !== ""),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
