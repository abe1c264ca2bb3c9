// The console's deployed sign-in in Chromium: the API's router as the API function runs it with
// LETHE_CONSOLE_SIGN_IN set (not on the local stage, so only the sign-in setting serves the console),
// and a stand-in for the Cognito hosted UI on loopback that checks what Cognito checks of the
// authorization code grant with PKCE (S256: the verifier sent to /oauth2/token must hash to the
// challenge sent to /oauth2/authorize). The console sends the ID token with each API call; without the
// sign-in setting, off the local stage, /console is not served.
import { expect } from "chai";
import { createHash, randomUUID } from "node:crypto";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { Browser, chromium } from "playwright-core";
import { ApiDeps, ApiEvent, createApiRouter } from "../../runtime/api/router";
import { chromiumArgs, chromiumPath } from "../../local/chromium";

function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

const b64url = (b: Buffer) => b.toString("base64url");

describe("the console's Cognito sign-in (authorization code with PKCE) in Chromium", function () {
  this.timeout(60_000);
  let browser: Browser;
  const closers: (() => void)[] = [];
  after(async () => {
    await browser?.close();
    for (const c of closers) c();
  });

  async function apiServer(deps: Partial<ApiDeps>, seen: Record<string, string | undefined>[]) {
    const router = createApiRouter({
      call: async () => ({ ok: true, reply: {} }),
      listRequests: async () => ({ requests: [] }),
      getBatch: async () => undefined,
      openapi: () => ({}),
      listBatches: async () => [],
      operations: async () => {
        throw new Error("not called");
      },
      readReport: async () => undefined,
      ...deps,
    });
    const api = await listen((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      seen.push({ path: url.pathname, authorization: headers.authorization });
      const event: ApiEvent = {
        httpMethod: req.method ?? "GET",
        path: url.pathname,
        headers,
        queryStringParameters: Object.fromEntries(url.searchParams),
        requestContext: { stage: "v1" },
      };
      void router(event).then((r) => {
        res.writeHead(r.statusCode, r.headers);
        res.end(r.body);
      });
    });
    closers.push(() => api.server.close());
    return api.url;
  }

  it("signs in through the hosted UI with PKCE and calls the API with the ID token", async () => {
    const issued = `${b64url(Buffer.from('{"alg":"none"}'))}.${b64url(
      Buffer.from(JSON.stringify({ sub: "u-1", exp: Math.floor(Date.now() / 1000) + 3600 })),
    )}.sig-${randomUUID()}`;
    let authorize: URLSearchParams | undefined;
    let token: URLSearchParams | undefined;
    let apiUrl = "";
    const cognito = await listen((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname === "/oauth2/authorize") {
        authorize = url.searchParams;
        const back = new URL(url.searchParams.get("redirect_uri")!);
        back.search = new URLSearchParams({
          code: "code-1",
          state: url.searchParams.get("state")!,
        }).toString();
        res.writeHead(302, { location: back.toString() });
        res.end();
        return;
      }
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        token = new URLSearchParams(body);
        const challenge = b64url(
          createHash("sha256")
            .update(token.get("code_verifier") ?? "")
            .digest(),
        );
        const ok = token.get("code") === "code-1" && challenge === authorize?.get("code_challenge");
        res.writeHead(ok ? 200 : 400, {
          "content-type": "application/json",
          "access-control-allow-origin": apiUrl,
        });
        res.end(JSON.stringify(ok ? { id_token: issued, token_type: "Bearer" } : { error: "invalid_grant" }));
      });
    });
    closers.push(() => cognito.server.close());
    const seen: Record<string, string | undefined>[] = [];
    apiUrl = await apiServer({ consoleSignIn: { domain: cognito.url, clientId: "client-1" } }, seen);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on(
      "console",
      (m) => /Content Security Policy|Refused to/i.test(m.text()) && violations.push(m.text()),
    );
    await page.goto(`${apiUrl}/console#/requests`);
    await page.locator("text=No requests in this state.").waitFor();
    expect(authorize?.get("code_challenge_method")).to.equal("S256");
    expect(authorize?.get("client_id")).to.equal("client-1");
    expect(authorize?.get("redirect_uri")).to.equal(`${apiUrl}/console`);
    expect(token?.get("grant_type")).to.equal("authorization_code");
    // Back on the page it asked for, without the code in the address.
    expect(page.url()).to.equal(`${apiUrl}/console#/requests`);
    const calls = seen.filter((s) => s.path === "/requests");
    expect(calls.length).to.be.greaterThan(0);
    for (const c of calls) expect(c.authorization).to.equal(issued);
    expect(violations).to.deep.equal([]);
  });

  it("does not serve the console off the local stage without the sign-in setting", async () => {
    const url = await apiServer({}, []);
    const r = await fetch(`${url}/console`);
    expect(r.status).to.equal(404);
    expect(((await r.json()) as { message: string }).message).to.match(
      /only when lethe:apiAuthorizer is "cognito"/,
    );
  });
});
