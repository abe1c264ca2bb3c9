// Erasure reports: where they live, and their Markdown and HTML renderings.
export { readReport, writeReport } from "./reportStore";
export type { ReportBucket } from "./reportStore";
export { renderReportMarkdown, escapeMarkdown } from "./markdown";
export { renderReportHtml, escapeHtml } from "./html";
export { reportView } from "./reportView";
