// The operator console (docs/console.md) in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against `lethe api --local` over a warm local stack (`lethe up --local`'s), one
// browser and one stack for every test. A request filed in the form (per-ID errors first) is watched
// to COMPLETED, its certificate opened, printed, downloaded and its signature shown verified; batches
// run with approval are approved and rejected from the batches page; a request is cancelled; a batch
// that needs attention is retried. Every page: its Content-Security-Policy holds (no violation, no
// request outside the API), axe-core finds no serious or critical violation, it fits 1280 px and
// 390 px, and after COMPLETED no page's HTML holds a customer ID. With LETHE_CONSOLE_SCREENSHOTS=<dir>
// (scripts/console-screenshots.ts) each page is also saved as a PNG there.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { Browser, BrowserContext, chromium, Page } from "playwright-core";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { makeDocumentClient, makeS3Client, makeSqsClient } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { getBatch } from "../../runtime/erasure/batches";
import { getErasureRequest } from "../../runtime/erasure/request";
import { recordPurgeError } from "../../runtime/erasure/forget/errorRecords";
import { ApiServer, startApiServer } from "../../cli/work/apiServer";
import { chromiumArgs, chromiumPath } from "../../local/chromium";
import { startLocalBatch, LocalBatchOptions } from "../../local/erasure";
import { writeSampleLake } from "../../local/fixtures/sampleLake";
import { serveWarmStack, ServedWarmStack } from "../../local/serve";
import { outputKeyOf } from "../../local/program/packaging";
import { sharedLocalStack } from "../support/localStack";
import { makeBatch, tablesOf, tempDir } from "../erasure/workflowFixtures";

const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const screenshots = process.env.LETHE_CONSOLE_SCREENSHOTS;

describe("the operator console in Chromium (lethe api --local, warm local stack)", function () {
  this.timeout(600_000);
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const sqs = makeSqsClient();
  let stack: LocalStack;
  let dir: string;
  let served: ServedWarmStack;
  let server: ApiServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let customers: string[];
  let options: LocalBatchOptions;
  /** Requests the pages made outside the API (all refused), and CSP violations the browser reported. */
  const outside: string[] = [];
  const cspViolations: string[] = [];
  let completedId = "";
  const subjects = () => customers.slice(0, 2);

  before(async () => {
    stack = await sharedLocalStack();
    dir = tempDir();
    const run = randomUUID().slice(0, 8);
    customers = Array.from({ length: 24 }, (_, i) => `con-${run}-${i}`);
    await writeSampleLake(s3, stack.lakeBucket, {
      days: [new Date().toISOString().slice(0, 10)],
      objectsPerDay: 2,
      rowsPerObject: 240,
      rowGroupRows: 120,
      customers,
      runId: `console-${run}`,
    });
    options = {
      drainSeconds: 0,
      ledgerPollSeconds: 1,
      batchPollMs: 200,
      findCacheDir: path.join(dir, "find"),
    };
    const outputs = path.join(dir, "local.json");
    served = await serveWarmStack(stack, outputs, { drainSeconds: 0 });
    server = await startApiServer({
      stackOutputsFile: outputs,
      throttle: { rateLimit: 1000, burstLimit: 1000 },
    });
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url) || url.startsWith("blob:")) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await served?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = async (hash: string, ready: string) => {
    await page.goto(`${server.url}/console${hash}`);
    await page.locator(ready).first().waitFor();
  };

  /** axe-core in the page: no serious or critical violation. */
  async function accessible(what: string): Promise<void> {
    await page.evaluate(axeSource);
    const violations = (await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: unknown[] }> } })
        .axe;
      const r = await axe.run({ iframes: false, resultTypes: ["violations"] });
      return r.violations;
    })) as { id: string; impact: string; nodes: { target: string[] }[] }[];
    const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(
      serious.map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
      what,
    ).to.deep.equal([]);
  }

  /** The page fits the viewport's width (tables scroll inside their own box), at 1280 px and 390 px. */
  async function fitsAndAccessible(what: string, shot?: string): Promise<void> {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${what} at ${width} px: wider than the window by`).to.be.at.most(0);
      await accessible(`${what} at ${width} px`);
      if (screenshots && shot)
        await page.screenshot({
          path: path.join(screenshots, `${shot}${width === 390 ? "-390" : ""}.png`),
          fullPage: true,
        });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  const batchFunction = () => String((stack as unknown as Record<string, unknown>)[outputKeyOf("batch")]);

  it("serves the console with a strict CSP, no inline script, a CSRF cookie; a browser POST without the token is refused", async () => {
    const r = await fetch(`${server.url}/console`);
    const csp = r.headers.get("content-security-policy") ?? "";
    expect(csp).to.include("default-src 'none'").and.include("script-src 'self'").and.not.include("unsafe");
    expect(r.headers.get("set-cookie")).to.match(
      /^lethe-console-csrf=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    const html = await r.text();
    expect(html).to.not.match(/<script(?![^>]*(src=|type="application\/json"))/);
    for (const asset of ["/console/app.js", "/console/app.css"]) {
      const a = await fetch(server.url + asset);
      expect(a.status, asset).to.equal(200);
      expect(a.headers.get("content-security-policy")).to.equal(csp);
    }
    await open("#/requests", "h1");
    const refused = await page.evaluate(async () => {
      const res = await fetch("requests", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ customerIds: ["x"] }),
      });
      return { status: res.status, body: await res.text() };
    });
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include("CSRF");
  });

  it("files a request in the form (per-ID errors first), watches it to COMPLETED, opens, prints and downloads its signed certificate", async () => {
    await open("#/file", "#file-form");
    await fitsAndAccessible("file a request", "file");
    await page.fill("#customer-ids", `${subjects()[0]}\n["${subjects()[1]}", ""]`);
    await page.click("#file-form button[type=submit]");
    const error = page.locator("#file-outcome .error");
    await error.waitFor();
    expect(await error.textContent()).to.match(/customerIds/);
    // Not filed: the form keeps what was typed so it can be corrected.
    expect(await page.inputValue("#customer-ids")).to.include(subjects()[0]);
    await page.fill("#customer-ids", subjects().join("\n"));
    await page.fill("#reason", "console test");
    await page.fill("#requested-by", "DPO office");
    await page.click("#file-form button[type=submit]");
    await page.locator("#filed-request").waitFor();
    expect(await page.inputValue("#customer-ids")).to.equal("");
    for (const id of subjects()) expect(await page.content()).to.not.include(id);
    const href = (await page.getAttribute("#filed-request", "href"))!;
    completedId = decodeURIComponent(href.replace("#/request/", ""));
    // The schedule's part: batch what is open now.
    await served.warm.invoke(batchFunction(), { now: true });
    await page.click("#filed-request");
    await page.locator(".state.COMPLETED").first().waitFor({ timeout: 240_000 });
    await page.locator("#signature-check").waitFor();
    expect(await page.textContent("#signature-check")).to.match(
      /^Signature verified: signed by this stack's/,
    );
    const certificate = page.frameLocator("iframe.certificate");
    expect(await certificate.locator("body").textContent())
      .to.include(completedId)
      .and.include("ERASED");
    // Print: the certificate's own window prints.
    const frame = page.frames().find((f) => f.url().startsWith("blob:"))!;
    await frame.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => void ((window as unknown as { printed: number }).printed += 1);
    });
    await page.click("#print-certificate");
    expect(await frame.evaluate(() => (window as unknown as { printed: number }).printed)).to.equal(1);
    // Open: a tab of its own, printed to PDF as Chromium prints it.
    const [tab] = await Promise.all([context.waitForEvent("page"), page.click("#open-certificate")]);
    await tab.waitForLoadState();
    expect(await tab.textContent("body")).to.include(completedId);
    const pdf = await tab.pdf({ format: "A4" });
    expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
    await tab.close();
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-report")]);
    const report = JSON.parse(fs.readFileSync((await download.path())!, "utf8"));
    expect(report).to.include({ requestId: completedId, state: "COMPLETED", verdict: "ERASED" });
    await fitsAndAccessible("a completed request", "request");
  });

  it("lists requests (filtered, paged) and shows operations; no page holds a customer ID after COMPLETED", async () => {
    await open("#/requests?state=COMPLETED", "table");
    await page.selectOption("#state-filter", "open");
    await page.waitForURL(/state=open/);
    await page.locator("h1").waitFor();
    await fitsAndAccessible("requests", "requests");
    // A purge failure awaiting a person, as the errors function records one: listed with its reason.
    const failure = `object too large for the function (${randomUUID().slice(0, 8)})`;
    await recordPurgeError(doc, stack.errorsTable, {
      batchId: "b-console",
      bucket: stack.lakeBucket,
      key: "events/dt=2026-01-01/part-0.parquet",
      kind: "object-too-large",
      reason: failure,
    });
    // A message in a DLQ nothing drains locally (the find function's; the warm stack drains the purge
    // queue's): its depth, one more than before, stands out on the page.
    const findDlq = Object.entries(stack.localResources).find(
      ([mocked]) => mocked.startsWith("https://sqs.") && mocked.includes("/lethe-find-function-dlq-"),
    )?.[1];
    expect(findDlq, "the find function's DLQ on the local stack").to.be.a("string");
    const depth = async () =>
      Number(
        (
          await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: findDlq,
              AttributeNames: ["ApproximateNumberOfMessages"],
            }),
          )
        ).Attributes?.ApproximateNumberOfMessages ?? 0,
      );
    const before = await depth();
    await sqs.send(
      new SendMessageCommand({ QueueUrl: findDlq, MessageBody: JSON.stringify({ console: "test" }) }),
    );
    await open("#/operations", ".figures");
    await page.locator("td", { hasText: failure }).waitFor();
    const dlqRow = (name: string) =>
      page.locator("tr", { has: page.locator("td", { hasText: new RegExp(`^${name}$`) }) });
    expect(await dlqRow("find-function").locator(".dlq-depth").textContent()).to.equal(
      `${before + 1} waiting`,
    );
    // It stands out: the same warning colours as an overdue request (axe checks their contrast below).
    expect(await dlqRow("find-function").locator(".dlq-depth").getAttribute("class")).to.include("overdue");
    expect(await dlqRow("purge-queue").count()).to.equal(1);
    expect(await depth()).to.equal(before + 1);
    expect(
      Number(await page.locator(".figure", { hasText: "completed" }).locator("b").textContent()),
    ).to.be.greaterThan(0);
    await fitsAndAccessible("operations", "operations");
    // Leave the shared stack's DLQ as found.
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: findDlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of Messages.filter((x) => x.Body === JSON.stringify({ console: "test" })))
      await sqs.send(new DeleteMessageCommand({ QueueUrl: findDlq, ReceiptHandle: m.ReceiptHandle }));
    for (const [hash, ready] of [
      ["#/requests?state=COMPLETED", "table"],
      [`#/request/${completedId}`, "#signature-check"],
      ["#/file", "#file-form"],
      ["#/batches", "h2"],
      ["#/operations", ".figures"],
    ]) {
      await open(hash, ready);
      const html = [await page.content(), ...(await Promise.all(page.frames().map((f) => f.content())))].join(
        "\n",
      );
      for (const id of customers) expect(html, `${hash} holds ${id}`).to.not.include(id);
    }
  });

  it("approves one batch and rejects another from the batches page; the approved one runs to COMPLETED", async () => {
    const t = tablesOf(stack, doc);
    const approved = await makeBatch(stack, s3, t, [customers[4]]);
    const rejected = await makeBatch(stack, s3, t, [customers[5]]);
    const runs = [approved, rejected].map((b) =>
      startLocalBatch(stack, b, { ...options, approvalRequired: true }),
    );
    for (const b of [approved, rejected])
      for (let i = 0; (await getBatch(t, b.batchId))?.status !== "AWAITING_APPROVAL"; i++) {
        expect(i, `batch ${b.batchId} waits for approval`).to.be.lessThan(600);
        await new Promise((r) => setTimeout(r, 100));
      }
    await open("#/batches", `text=Batch ${approved.batchId}`);
    await fitsAndAccessible("batches waiting for approval", "batches");
    await page.click(`text=Approve batch ${approved.batchId}`);
    await page.locator(".ok", { hasText: `batch ${approved.batchId} approved` }).waitFor();
    const card = page.locator("section.card", { hasText: `Batch ${rejected.batchId}` });
    await card.locator("button.reject").click();
    await card.locator(".error", { hasText: "needs a reason" }).waitFor();
    await card.locator("textarea").fill("plan too broad");
    await card.locator("button.reject").click();
    await card
      .locator(".ok", { hasText: `batch ${rejected.batchId} rejected` })
      .waitFor()
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\nthe card says: ${await card.textContent()}`);
      });
    await Promise.all((await Promise.all(runs)).map((r) => r.result.catch(() => undefined)));
    expect((await getBatch(t, approved.batchId))!.status).to.equal("COMPLETED");
    const r = (await getBatch(t, rejected.batchId))!;
    expect(r.status).to.equal("REJECTED");
    expect(r.reason).to.include("plan too broad");
  });

  it("cancels a request that is not yet batched", async () => {
    await open("#/file", "#file-form");
    await page.fill("#customer-ids", customers[6]);
    await page.click("#file-form button[type=submit]");
    await page.click("#filed-request");
    await page.locator("#cancel-request").click();
    await page.locator(".state.CANCELLED").first().waitFor();
    const href = page.url().split("#/request/")[1];
    expect((await getErasureRequest(doc, stack.requestsTable, decodeURIComponent(href)))?.status).to.equal(
      "CANCELLED",
    );
  });

  it("retries a batch that needs attention from the batches page: it resumes and ends COMPLETED", async () => {
    const t = tablesOf(stack, doc);
    const batch = await makeBatch(stack, s3, t, [customers[7], customers[8]]);
    const execution = await startLocalBatch(stack, batch, {
      ...options,
      handlerOverrides: {
        Verify: async () => {
          throw Object.assign(new Error("the engine was unreachable"), { name: "EngineUnreachable" });
        },
      },
    });
    await execution.result.catch(() => undefined);
    expect((await getBatch(t, batch.batchId))!.status).to.equal("NEEDS_ATTENTION");
    await open("#/batches", `text=Retry batch ${batch.batchId}`);
    await fitsAndAccessible("a batch that needs attention", "batches-attention");
    await page.click(`text=Retry batch ${batch.batchId}`);
    await page.locator(".ok", { hasText: batch.batchId }).waitFor();
    for (let i = 0; (await getBatch(t, batch.batchId))?.status !== "COMPLETED"; i++) {
      expect(i, `batch ${batch.batchId} ends COMPLETED`).to.be.lessThan(1200);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it("no page asked for anything outside the API, and the browser reported no CSP violation", () => {
    expect(outside).to.deep.equal([]);
    expect(cspViolations).to.deep.equal([]);
  });
});
