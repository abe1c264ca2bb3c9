// `npm run docs:certificate`: the HTML certificates of erasure as headless Chromium shows them, for
// sample batches run through the real report task (signed with the stack's report signing key) in a
// fresh emulator (its own moto server, stopped afterwards) with the local stack provisioned from the
// program: docs/report-certificate.png (an erasure that removed rows),
// docs/report-certificate-nothing-found.png, docs/report-certificate-rejected.png (not completed) and
// docs/report-certificate-needs-attention.png (a batch that stopped: not completed, to be retried).
// Each certificate is checked with `lethe report verify`'s own check before it is shown, and must fail
// it after a one-byte change.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderReportHtml } from "../runtime/erasure/report/html";
import { readSignedReport } from "../runtime/erasure/report/reportStore";
import { decideApproval } from "../runtime/erasure/approval";
import { reportBatch } from "../runtime/erasure/workflow/tasks/report";
import { withHtmlPage } from "../local/chromium";
import { startLocalEmulator, useLocalEmulator } from "../local/emulator";
import { createBucketLike, provisionLocalStack } from "../local/stack";
import { sampleReportSetup, seedSampleBatch, SampleBatchOptions } from "../local/fixtures/sampleReportBatch";
import { verifyReportFile } from "../cli/work/reportVerify";

const docs = path.resolve(__dirname, "..", "docs");
const certificates: { ending: SampleBatchOptions["ending"]; png: string }[] = [
  { ending: "verified", png: "report-certificate.png" },
  { ending: "nothing-found", png: "report-certificate-nothing-found.png" },
  { ending: "rejected", png: "report-certificate-rejected.png" },
  { ending: "needs-attention", png: "report-certificate-needs-attention.png" },
];

async function main(): Promise<void> {
  const emulator = await startLocalEmulator();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-certificates-"));
  try {
    useLocalEmulator(emulator.endpoint);
    const { stack } = await provisionLocalStack();
    const bucket = await createBucketLike(
      "lakeBucket",
      `lethe-reports-${randomUUID().slice(0, 8)}`,
      stack.kmsKeyArn,
    );
    const publicKey = path.join(dir, "stack.pem");
    fs.writeFileSync(publicKey, stack.reportSigningPublicKey);
    const { deps, seedStack } = await sampleReportSetup(stack, bucket);
    for (const c of certificates) {
      const batch = await seedSampleBatch(seedStack, { ending: c.ending });
      let state = batch.state;
      if (c.ending === "rejected") {
        const resumed: Record<string, unknown>[] = [];
        await decideApproval(
          { ...deps, resume: async (_t, output) => void resumed.push(output) },
          {
            batchId: batch.batchId,
            decision: "reject",
            reason: "the plan reaches the finance archive",
            by: "auditor",
          },
        );
        state = { ...state, approval: resumed[0] };
      }
      await reportBatch(deps, state);
      const { report, ...signed } = (await readSignedReport(deps.s3, bucket, batch.requestIds[0]))!;
      const html = renderReportHtml(report, signed);
      const file = path.join(dir, `${c.ending}.html`);
      fs.writeFileSync(file, html);
      const check = verifyReportFile(file, { publicKey });
      if (!check.ok) throw new Error(`${c.png}: the certificate does not verify: ${check.lines.join("; ")}`);
      const changed = Buffer.from(html);
      changed[html.indexOf('id="verdict">') + 14] ^= 1;
      fs.writeFileSync(file, changed);
      if (verifyReportFile(file, { publicKey }).ok)
        throw new Error(`${c.png}: a changed byte still verifies`);
      const out = path.join(docs, c.png);
      await withHtmlPage(
        html,
        async ({ page }) => void (await page.screenshot({ path: out, fullPage: true })),
        { width: 1000, height: 1200 },
      );
      process.stderr.write(
        `lethe: wrote ${path.relative(process.cwd(), out)} (request ${report.requestId}, ${report.verdict}; ` +
          `verified with ${check.fingerprint}, a one-byte change fails)\n`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await emulator.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`lethe: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
