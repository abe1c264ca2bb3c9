// The report's renderings, from reports the report task wrote in the local stack: Markdown and the
// HTML certificate say what was asked, when, each step, each mapper and store, the verification and
// the audit trail, with keyed hashes only; hostile text (a reason, a store's error) is shown, never
// run; the certificate, opened in headless Chromium, fetches nothing, runs nothing and prints.
import { expect } from "chai";
import type { ErasureReport } from "../../runtime/contracts/report";
import { escapeMarkdown, renderReportMarkdown } from "../../runtime/erasure/report/markdown";
import { escapeHtml, renderReportHtml } from "../../runtime/erasure/report/html";
import { withHtmlPage } from "../../local/chromium";
import type { SampleBatch } from "../../local/fixtures/sampleReportBatch";
import { reportFixture } from "../support/sampleReports";

const payload = `<script>window.__xss = 1</script><img src="https://evil.example/x.png" onerror="window.__xss = 2">`;

/** The report with hostile text where people type: the reason, who asked, a store's failure reason. */
function hostile(r: ErasureReport): ErasureReport {
  return {
    ...r,
    reason: `${payload} | forged cell | [link](https://evil.example) **bold**`,
    requestedBy: `"><svg onload="window.__xss = 3">`,
    targets: [
      ...r.targets,
      { kind: "subsystem", name: "crm <b>", outcome: "failed", rowsRemoved: 0, reason: payload },
    ],
  };
}

describe("report renderings: Markdown and the HTML certificate", function () {
  this.timeout(180_000);
  let batch: SampleBatch;
  let report: ErasureReport;
  let rejected: ErasureReport;
  let nothingFound: ErasureReport;

  before(async () => {
    const f = await reportFixture();
    const done = await f.reported({ ending: "verified" });
    batch = done.batch;
    report = done.reports[0];
    rejected = (await f.reported({ ending: "rejected" })).reports[0];
    nothingFound = (await f.reported({ ending: "nothing-found" })).reports[0];
  });

  it("an erasure that found nothing is not headlined erased: NOTHING_FOUND and where Lethe looked", () => {
    const md = renderReportMarkdown(nothingFound);
    const html = renderReportHtml(nothingFound);
    expect(md).to.not.include("Erased and verified");
    expect(html).to.not.include("Erased and verified");
    expect(md).to.include(
      "**Nothing found: no data of the subjects was found in 2 data mappers (clicks, events) and 1 store (orders-db); " +
        "51.0 MiB (53,477,376 bytes) scanned; nothing needed erasing**",
    );
    expect(md).to.include("| Verdict | NOTHING\\_FOUND |");
    expect(html).to.include("Nothing found: no data of the subjects was found in 2 data mappers");
    // The one that removed rows still says so.
    expect(renderReportMarkdown(report)).to.include("Erased and verified");
    expect(renderReportMarkdown(report)).to.include("| Verdict | ERASED |");
  });

  const rawIds = () => batch.subjects.flat();

  it("Markdown: the request, its steps, mappers, stores, verification, audit, hashes; no raw ID", () => {
    const md = renderReportMarkdown(report);
    expect(md).to.include(`# Certificate of erasure: request ${escapeMarkdown(report.requestId)}`);
    expect(md).to.include("| State | COMPLETED |");
    for (const step of ["find", "forget", "verify", "report"])
      expect(md).to.match(new RegExp(`\\| ${step} \\|`));
    const events = report.targets.find((t) => t.name === "events")!;
    expect(md).to.match(
      new RegExp(
        `\\| lake \\| events \\| erased \\|[^\\n]*\\| ${events.objectsRewritten} \\| ${events.versionsDeleted} \\| ${events.rowsRemoved} \\|`,
      ),
    );
    expect(md).to.include("| postgres | orders-db | erased |");
    expect(md).to.include("| Matching rows remaining | 0 |");
    for (const h of report.subjectHashes) expect(md).to.include(`- \`${h}\``);
    for (const e of ["recorded", "found", "purged", "verified", "raw-ids-dropped", "reported"])
      expect(md).to.include(`| ${escapeMarkdown(e)} |`);
    for (const id of rawIds()) expect(md).to.not.include(id);
  });

  it("Markdown escapes hostile text: no HTML, no extra table cell, no link", () => {
    const md = renderReportMarkdown(hostile(report));
    expect(md).to.not.include("<script>");
    expect(md).to.not.include("<svg");
    // `[` and `]` are escaped: no link can open.
    expect(md).to.not.match(/(?<!\\)\]\(/);
    const reasonRow = md.split("\n").find((l) => l.startsWith("| Reason |"))!;
    // Two cells: a forged `|` is escaped.
    expect(reasonRow.split(/(?<!\\)\|/).length - 2).to.equal(2);
    expect(reasonRow).to.include("&lt;script&gt;");
  });

  it("HTML: self-contained (no script, no external URL), every value escaped", () => {
    const html = renderReportHtml(hostile(report));
    expect(html.startsWith("<!DOCTYPE html>")).to.equal(true);
    expect(html).to.not.match(/<script|<img|<svg|<link|<iframe|@import|url\(/i);
    // No tag with a source or a link (text may say `src=`; its `<` is escaped).
    expect(html).to.not.match(/<[^>]*\s(src|href)=/i);
    expect(html).to.include(escapeHtml(payload));
    expect(html).to.include("@media print");
    for (const id of rawIds()) expect(html).to.not.include(id);
  });

  it("headless Chromium shows the certificate: request, state, counts, hashes; nothing fetched or run; it prints", async () => {
    const html = renderReportHtml(hostile(report));
    await withHtmlPage(html, async ({ page, requests }) => {
      const text = await page.locator("body").innerText();
      expect(await page.locator("#request-id").innerText()).to.equal(report.requestId);
      expect(await page.locator("#state").innerText()).to.equal("COMPLETED");
      expect(await page.title()).to.include(report.requestId);
      const totals = await page.locator("#totals").innerText();
      const rows = report.targets.reduce((n, t) => n + t.rowsRemoved, 0);
      expect(totals).to.match(new RegExp(`Rows removed\\s+${rows}`));
      expect(totals).to.include("passed: 0 matching rows remain");
      const targets = await page.locator("#targets").innerText();
      for (const t of report.targets) expect(targets).to.include(t.name);
      expect(targets).to.include("crm <b>");
      for (const h of report.subjectHashes) expect(text).to.include(h);
      expect(await page.locator("#subjects li").count()).to.equal(report.subjectHashes.length);
      expect(await page.locator("#audit tbody tr").count()).to.equal(report.audit.length);
      for (const id of rawIds()) expect(text + (await page.content())).to.not.include(id);
      // The payload is text on the page, not markup.
      expect(text).to.include("<script>window.__xss = 1</script>");
      expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).to.equal(
        undefined,
      );
      expect(await page.locator("script, img, svg, iframe, link").count()).to.equal(0);
      expect(requests).to.deep.equal([]);
      await page.emulateMedia({ media: "print" });
      const pdf = await page.pdf({ format: "A4", printBackground: true });
      expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
      expect(pdf.length).to.be.greaterThan(10_000);
    });
  });

  it("headless Chromium shows a rejected batch's certificate: REJECTED, the reason, nothing erased", async () => {
    await withHtmlPage(renderReportHtml(rejected), async ({ page }) => {
      expect(await page.locator("#state").innerText()).to.equal("REJECTED");
      expect(await page.locator("#verdict").innerText()).to.include("the plan reaches the finance archive");
      expect(await page.locator("#approval").innerText()).to.include("rejected");
      expect(await page.locator("#targets").innerText()).to.include("not run (rejected)");
      expect(await page.locator("#verification").count()).to.equal(0);
    });
  });
});
