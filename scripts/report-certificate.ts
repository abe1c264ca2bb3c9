// `npm run docs:certificate`: docs/report-certificate.png, the HTML certificate of erasure as headless
// Chromium shows it, for a sample batch run through the real report task in a fresh emulator (its own
// moto server, stopped afterwards) with the local stack provisioned from the program.
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { renderReportHtml } from "../runtime/erasure/report/html";
import { readReport } from "../runtime/erasure/report/reportStore";
import { reportBatch } from "../runtime/erasure/workflow/tasks/report";
import { withHtmlPage } from "../local/chromium";
import { startLocalEmulator, useLocalEmulator } from "../local/emulator";
import { createBucketLike, provisionLocalStack } from "../local/stack";
import { sampleReportSetup, seedSampleBatch } from "../local/fixtures/sampleReportBatch";

const out = path.resolve(__dirname, "..", "docs", "report-certificate.png");

async function main(): Promise<void> {
  const emulator = await startLocalEmulator();
  try {
    useLocalEmulator(emulator.endpoint);
    const { stack } = await provisionLocalStack();
    const bucket = await createBucketLike(
      "lakeBucket",
      `lethe-reports-${randomUUID().slice(0, 8)}`,
      stack.kmsKeyArn,
    );
    const { deps, seedStack } = await sampleReportSetup(stack, bucket);
    const batch = await seedSampleBatch(seedStack, { ending: "verified" });
    await reportBatch(deps, batch.state);
    const report = (await readReport(deps.s3, bucket, batch.requestIds[0]))!;
    await withHtmlPage(
      renderReportHtml(report),
      async ({ page }) => void (await page.screenshot({ path: out, fullPage: true })),
      { width: 1000, height: 1200 },
    );
    process.stderr.write(`lethe: wrote ${path.relative(process.cwd(), out)} (request ${report.requestId})\n`);
  } finally {
    await emulator.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`lethe: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
