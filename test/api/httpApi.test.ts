// The HTTP API over real HTTP: `lethe api --local`'s server (cli/work/apiServer.ts) on 127.0.0.1 against
// the local stack, the console functions packaged and run in process. Requests filed and read,
// idempotent replay, every error class with its status and code, and approval by signed link.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeKmsClient, makeSnsClient } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { BatchTables, createBatch, getBatch, moveBatch } from "../../runtime/erasure/batches";
import { requestApproval } from "../../runtime/erasure/approval";
import { approvalLinksFor, kmsLinkSigner, LinkSigner } from "../../runtime/api/approvalLinks";
import { ApiServer, startApiServer } from "../../cli/work/apiServer";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { readAudit } from "../../runtime/erasure/audit";
import { sharedLocalStack } from "../support/localStack";

async function call(
  server: ApiServer,
  method: string,
  route: string,
  init: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string; type: string }> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers["content-type"] ??= "application/json";
  }
  const r = await fetch(server.url + route, { method, headers, body });
  const text = await r.text();
  const type = r.headers.get("content-type") ?? "";
  return { status: r.status, text, type, body: type.startsWith("application/json") ? JSON.parse(text) : {} };
}

describe("HTTP API over real HTTP (lethe api --local)", function () {
  this.timeout(300_000);
  let stack: LocalStack;
  let server: ApiServer;
  let outputsFile: string;
  let tables: BatchTables;
  let signer: LinkSigner;
  const doc = makeDocumentClient();

  before(async () => {
    stack = await sharedLocalStack();
    outputsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lethe-api-")), "local.json");
    fs.writeFileSync(outputsFile, JSON.stringify(stack));
    server = await startApiServer({
      stackOutputsFile: outputsFile,
      throttle: { rateLimit: 1000, burstLimit: 1000 },
    });
    tables = { doc, requestsTable: stack.requestsTable, ledgerTable: stack.ledgerTable };
    const linkKey = stack.localResources[stack.approvalLinkKeyArn] ?? stack.approvalLinkKeyArn;
    signer = kmsLinkSigner(makeKmsClient(), linkKey);
  });
  after(async () => server?.close());

  it("files a request by POST and reads its status by GET; the listing of open requests holds it", async () => {
    const filed = await call(server, "POST", "/requests", {
      json: { customerIds: [`api-${randomUUID().slice(0, 8)}`], reason: "portal request" },
    });
    expect(filed.status, filed.text).to.equal(201);
    expect(filed.body).to.include({ status: "RECEIVED", subjects: 1 });
    const id = filed.body.requestId as string;
    const status = await call(server, "GET", `/requests/${id}`);
    expect(status.status, status.text).to.equal(200);
    expect(status.body).to.include({ requestId: id, state: "RECEIVED", overdue: false });
    expect(status.body.daysLeft).to.be.greaterThan(25);
    // Page through the open requests until ours shows up (others' tests share the table).
    let cursor: string | undefined;
    const seen: string[] = [];
    do {
      const page = await call(
        server,
        "GET",
        `/requests?state=open&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status, page.text).to.equal(200);
      const requests = page.body.requests as { requestId: string; state: string }[];
      expect(requests.length).to.be.at.most(2);
      for (const r of requests)
        expect(["RECEIVED", "BATCHED", "FINDING", "AWAITING_APPROVAL", "FORGETTING", "VERIFYING"]).to.include(
          r.state,
        );
      seen.push(...requests.map((r) => r.requestId));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor && !seen.includes(id));
    expect(seen).to.include(id);
  });

  it("replays the first answer to a request with the same Idempotency-Key, and files nothing new", async () => {
    const key = `key-${randomUUID()}`;
    const json = { customerIds: [`idem-${randomUUID().slice(0, 8)}`] };
    const first = await call(server, "POST", "/requests", { json, headers: { "Idempotency-Key": key } });
    const again = await call(server, "POST", "/requests", { json, headers: { "Idempotency-Key": key } });
    expect(first.status, first.text).to.equal(201);
    expect(again.status).to.equal(201);
    expect(again.body).to.deep.equal(first.body);
    const other = await call(server, "POST", "/requests", { json });
    expect(other.body.requestId).not.to.equal(first.body.requestId);
  });

  it("answers every error class with its status and a stable code, naming the field and never an ID", async () => {
    const secret = `secret-${randomUUID().slice(0, 8)}`;
    const cases: [string, string, Parameters<typeof call>[3], number, string, RegExp][] = [
      ["POST", "/requests", { json: { customerIds: [] } }, 400, "invalid_input", /customerIds/],
      [
        "POST",
        "/requests",
        { json: { customerIds: [secret, ""] } },
        400,
        "invalid_input",
        /customerIds\[1\]/,
      ],
      [
        "POST",
        "/requests",
        { json: { customerIds: [secret], colour: "red" } },
        400,
        "invalid_input",
        /colour/,
      ],
      [
        "POST",
        "/requests",
        { body: "{not json", headers: { "content-type": "application/json" } },
        400,
        "invalid_json",
        /JSON/,
      ],
      [
        "POST",
        "/requests",
        { body: "x", headers: { "content-type": "text/plain" } },
        415,
        "unsupported_media_type",
        /application\/json/,
      ],
      [
        "POST",
        "/requests",
        { json: { customerIds: ["x".repeat(200)], reason: "y".repeat(4_300_000) } },
        413,
        "body_too_large",
        /at most/,
      ],
      ["GET", `/requests/${randomUUID()}`, {}, 404, "not_found", /does not exist/],
      ["GET", "/requests?state=lost", {}, 400, "invalid_input", /state/],
      ["GET", "/requests?limit=0", {}, 400, "invalid_input", /limit/],
      ["GET", "/requests?cursor=bm9wZQ", {}, 400, "invalid_input", /cursor/],
      ["POST", `/batches/${randomUUID()}/approve`, {}, 404, "not_found", /does not exist/],
      ["POST", `/batches/b-1/reject`, { json: {} }, 400, "invalid_input", /reason/],
      ["GET", "/nowhere", {}, 404, "route_not_found", /openapi/],
      ["DELETE", "/requests", {}, 405, "method_not_allowed", /GET or POST|POST or GET/],
    ];
    for (const [method, route, init, status, code, message] of cases) {
      const r = await call(server, method, route, init);
      expect(r.status, `${method} ${route}: ${r.text}`).to.equal(status);
      expect(Object.keys(r.body).sort(), route).to.deep.equal(["code", "message"]);
      expect(r.body.code, route).to.equal(code);
      expect(r.body.message, route).to.match(message);
      expect(r.text).not.to.include(secret);
    }
  });

  it("answers 409 for a move the state does not allow: cancelling a cancelled request", async () => {
    const filed = await call(server, "POST", "/requests", {
      json: { customerIds: [`c-${randomUUID().slice(0, 8)}`] },
    });
    const id = filed.body.requestId as string;
    const first = await call(server, "POST", `/requests/${id}/cancel`);
    expect(first.status, first.text).to.equal(200);
    expect(first.body).to.include({ cancelled: "request", id });
    const again = await call(server, "POST", `/requests/${id}/cancel`);
    expect(again.status, again.text).to.equal(409);
    expect(again.body.code).to.equal("state_conflict");
    expect((await call(server, "GET", `/requests/${id}`)).body.state).to.equal("CANCELLED");
  });

  it("POST /batches/{id}/retry: 404 for an unknown batch, 409 for one that completed (nothing resumed)", async () => {
    const unknown = await call(server, "POST", `/batches/batch-${randomUUID().slice(0, 8)}/retry`);
    expect(unknown.status, unknown.text).to.equal(404);
    const batchId = `batch-${randomUUID().slice(0, 8)}`;
    const requestId = `r-${randomUUID().slice(0, 8)}`;
    await doc.send(
      new PutCommand({
        TableName: stack.requestsTable,
        Item: { requestId, status: "BATCHED", deadline: "2027-02-01" },
      }),
    );
    await createBatch(tables, {
      batchId,
      requestIds: [requestId],
      subjectCount: 1,
      manifest: { bucket: stack.lakeBucket, key: `erasure-manifests/batch_id=${batchId}/manifest.jsonl` },
      deadline: "2027-02-01T00:00:00.000Z",
      createdAt: new Date().toISOString(),
    });
    for (const to of ["FINDING", "FORGETTING", "VERIFYING", "COMPLETED"] as const)
      await moveBatch(tables, batchId, to);
    const done = await call(server, "POST", `/batches/${batchId}/retry`, { json: { by: "dpo" } });
    expect(done.status, done.text).to.equal(409);
    expect(done.body).to.deep.equal({
      code: "state_conflict",
      message: `batch ${batchId} ended COMPLETED: there is nothing to retry`,
    });
    expect((await getBatch(tables, batchId))?.status).to.equal("COMPLETED");
  });

  it("throttles beyond the stage's rate and burst with 429 throttled", async () => {
    const tight = await startApiServer({
      stackOutputsFile: outputsFile,
      throttle: { rateLimit: 1, burstLimit: 2 },
    });
    try {
      const statuses = await Promise.all([1, 2, 3, 4, 5].map(() => call(tight, "GET", "/openapi.json")));
      expect(statuses.filter((s) => s.status === 200)).to.have.length(2);
      const throttled = statuses.filter((s) => s.status === 429);
      expect(throttled).to.have.length(3);
      expect(throttled[0].body.code).to.equal("throttled");
    } finally {
      await tight.close();
    }
  });

  /** A batch of one request waiting for approval, its notification's links pointing at the server. */
  async function waitingBatch(
    now?: () => Date,
  ): Promise<{ batchId: string; approve: string; reject: string; token: string }> {
    const batchId = `b-${randomUUID().slice(0, 8)}`;
    const requestId = randomUUID();
    await doc.send(
      new PutCommand({
        TableName: tables.requestsTable,
        Item: { requestId, status: "BATCHED", deadline: "2027-02-01" },
      }),
    );
    await createBatch(tables, {
      batchId,
      requestIds: [requestId],
      subjectCount: 3,
      manifest: { bucket: stack.lakeBucket, key: `erasure-manifests/batch_id=${batchId}/manifest.jsonl` },
      deadline: "2027-02-01T00:00:00.000Z",
      createdAt: new Date().toISOString(),
    });
    await moveBatch(tables, batchId, "FINDING");
    const token = `token-${randomUUID()}`;
    let links: { approve: string; reject: string } = { approve: "", reject: "" };
    await requestApproval(
      {
        ...tables,
        sns: makeSnsClient(),
        alertTopicArn: stack.localResources[stack.alertTopicArn] ?? stack.alertTopicArn,
        links: async (b, t) =>
          (links = await approvalLinksFor(
            { signer, baseUrl: server.url, ttlHours: 72, ...(now ? { now } : {}) },
            b,
            t,
          )),
      },
      { batchId, plan: { objects: 12, bytesToRewrite: 4096 }, taskToken: token },
    );
    return { batchId, ...links, token };
  }

  const open = (
    link: string,
    method = "GET",
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ) =>
    fetch(link, {
      method,
      ...(form
        ? {
            body: new URLSearchParams(form).toString(),
            headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
          }
        : {}),
    }).then(async (r) => ({
      status: r.status,
      html: await r.text(),
      type: r.headers.get("content-type") ?? "",
    }));

  it("approves by link: GET shows the plan and decides nothing; the POST decides once; a second use changes nothing", async () => {
    const { batchId, approve } = await waitingBatch();
    const page = await open(approve);
    expect(page.status).to.equal(200);
    expect(page.type).to.match(/^text\/html/);
    expect(page.html).to.include("bytesToRewrite").and.include("4096").and.include('method="post"');
    expect((await getBatch(tables, batchId))!.approval!.decision).to.equal(undefined);
    const decided = await open(approve, "POST", { by: "Dana" });
    expect(decided.status, decided.html).to.equal(200);
    expect(decided.html).to.include(`Batch ${batchId} approved`);
    const batch = (await getBatch(tables, batchId))!;
    // The link is the credential; the typed name is kept as a note.
    expect(batch.approval).to.include({ decision: "approve", by: "approval link", note: "Dana" });
    for (const method of ["GET", "POST"]) {
      const twice = await open(approve, method, method === "POST" ? {} : undefined);
      expect(twice.status).to.equal(409);
      expect(twice.html).to.include("already used").and.include("Nothing was changed");
    }
    expect((await getBatch(tables, batchId))!.approval).to.deep.equal(batch.approval);
  });

  it("rejects by link with a reason: the batch and its request end REJECTED", async () => {
    const { batchId, reject } = await waitingBatch();
    const noReason = await open(reject, "POST", { reason: "" });
    expect(noReason.status).to.equal(400);
    expect((await getBatch(tables, batchId))!.status).to.equal("AWAITING_APPROVAL");
    const decided = await open(reject, "POST", { reason: "plan too broad" });
    expect(decided.status, decided.html).to.equal(200);
    const batch = (await getBatch(tables, batchId))!;
    expect(batch.status).to.equal("REJECTED");
    expect(batch.reason).to.include("plan too broad");
  });

  it("refuses an expired, forged or tampered link with a page and changes nothing", async () => {
    const past = () => new Date(Date.now() - 73 * 3600_000);
    const old = await waitingBatch(past);
    const expired = await open(old.approve, "POST", {});
    expect(expired.status).to.equal(410);
    expect(expired.html).to.include("expired");
    const current = await waitingBatch();
    const [claims, mac] = current.approve.split("/approval-links/")[1].split(".");
    const otherBatch = JSON.parse(Buffer.from(claims, "base64url").toString());
    otherBatch.b = old.batchId;
    const tampered = `${server.url}/approval-links/${Buffer.from(JSON.stringify(otherBatch)).toString("base64url")}.${mac}`;
    const flipped = Buffer.from(mac, "base64url");
    flipped[0] ^= 1;
    const forged = `${server.url}/approval-links/${claims}.${flipped.toString("base64url")}`;
    for (const link of [tampered, forged, `${server.url}/approval-links/not-a-token`]) {
      for (const method of ["GET", "POST"]) {
        const r = await open(link, method, method === "POST" ? {} : undefined);
        expect(r.status, link).to.equal(400);
        expect(r.html).to.include("not valid").and.include("Nothing was changed");
      }
    }
    for (const b of [old.batchId, current.batchId]) {
      const batch = (await getBatch(tables, b))!;
      expect(batch.status).to.equal("AWAITING_APPROVAL");
      expect(batch.approval!.decision).to.equal(undefined);
    }
  });

  it("records the authenticated caller as who decided on the API, the typed name as a note", async () => {
    const { batchId } = await waitingBatch();
    const r = await call(server, "POST", `/batches/${batchId}/approve`, { json: { by: "Dana" } });
    expect(r.status, r.text).to.equal(200);
    // cli/work/apiServer.ts authenticates every local caller as this IAM-like principal.
    expect((await getBatch(tables, batchId))!.approval).to.include({ by: "local:lethe-api", note: "Dana" });
  });

  it("refuses a link's POST from another site's page (Origin), and a MAC spelled non-canonically", async () => {
    const { batchId, approve } = await waitingBatch();
    for (const origin of ["https://evil.example", "null"]) {
      const r = await open(approve, "POST", { by: "Mallory" }, { origin });
      expect(r.status, origin).to.equal(403);
      expect(r.html).to.include("Nothing was changed");
    }
    const crossSite = await open(approve, "POST", {}, { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).to.equal(403);
    expect((await getBatch(tables, batchId))!.approval!.decision).to.equal(undefined);

    // The same MAC bytes, its last character's unused bits set: Node decodes it to the same MAC.
    const [claims, mac] = approve.split("/approval-links/")[1].split(".");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet[alphabet.indexOf(mac[mac.length - 1]) ^ 1];
    const respelled = mac.slice(0, -1) + last;
    expect(Buffer.from(respelled, "base64url").equals(Buffer.from(mac, "base64url"))).to.equal(true);
    const link = `${server.url}/approval-links/${claims}.${respelled}`;
    for (const method of ["GET", "POST"]) {
      const r = await open(link, method, method === "POST" ? {} : undefined);
      expect(r.status, method).to.equal(400);
    }
    expect((await getBatch(tables, batchId))!.approval!.decision).to.equal(undefined);

    // From the confirmation page itself (same origin), the decision is taken.
    const ok = await open(approve, "POST", {}, { origin: new URL(server.url).origin });
    expect(ok.status, ok.html).to.equal(200);
    expect((await getBatch(tables, batchId))!.approval!.decision).to.equal("approve");
  });

  it("opts a customer back in by POST /opt-ins, audited with the authenticated caller; refused while an erasure is open", async () => {
    const id = `optin-${randomUUID().slice(0, 8)}`;
    const filed = await call(server, "POST", "/requests", { json: { customerIds: [id] } });
    expect(filed.status, filed.text).to.equal(201);
    const held = await call(server, "POST", "/opt-ins", {
      json: { customerIds: [id], reason: "wrong customer" },
    });
    expect(held.status, held.text).to.equal(400);
    expect(held.body.message).to.include("held by an open erasure request");
    expect(held.text).to.not.include(id);
    await call(server, "POST", `/requests/${filed.body.requestId}/cancel`);
    // The cancel opted it back in already; an explicit opt-in of a registered one:
    await new OptOutRegistry(doc, stack.optOutTable).add(id, `manual-${id}`);
    const r = await call(server, "POST", "/opt-ins", {
      json: { customerIds: [id], reason: "wrong customer", by: "Dana" },
    });
    expect(r.status, r.text).to.equal(200);
    expect(r.body).to.include({ optedIn: 1, notRegistered: 0 });
    expect((await new OptOutRegistry(doc, stack.optOutTable).optedOut([id])).size).to.equal(0);
    const [entry] = await readAudit(doc, stack.auditTable, r.body.optInId as string);
    expect(entry.detail).to.include({ by: "local:lethe-api", note: "Dana", reason: "wrong customer" });
  });
});
