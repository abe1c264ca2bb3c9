// Headless Chromium (Debian's `chromium`, driven by playwright-core) for what must be seen as a browser
// shows it: the HTML certificate of erasure. A fresh profile per launch, no network: every request
// the page makes is refused and counted, so a page that needs an external asset is noticed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, Page } from "playwright-core";

export const chromiumPath = process.env.LETHE_CHROMIUM ?? "/usr/bin/chromium";

export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface RenderedPage {
  page: Page;
  /** URLs the page tried to fetch (all refused). */
  requests: string[];
}

/** Opens `html` in a fresh headless Chromium and gives `use` the page; closes everything afterwards. */
export async function withHtmlPage<T>(
  html: string,
  use: (p: RenderedPage) => Promise<T>,
  viewport = { width: 1000, height: 1400 },
): Promise<T> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(
      `no Chromium at ${chromiumPath}: apt-get install -y chromium (scripts/ensure-chromium.sh)`,
    );
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport,
  });
  try {
    const requests: string[] = [];
    await context.route("**/*", (route) => {
      requests.push(route.request().url());
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.setContent(html, { waitUntil: "load" });
    return await use({ page, requests });
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
