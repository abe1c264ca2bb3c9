// The request function against the emulator: every ID checked, the opt-outs registered and the filter
// rebuilt (through Lambda Invoke of the filter builder) before the reply, the request recorded with its
// deadline and raw IDs only in S3, the audit in keyed hashes, Powertools idempotency on the key.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import { createRequestHandler } from "../../runtime/handlers/request";
import { maxRequestSubjects, parseRequestEvent } from "../../runtime/erasure/intake";
import { createFilterBuilderHandler } from "../../runtime/handlers/filterBuilder";
import { createIngestTransformerHandler } from "../../runtime/handlers/ingestTransformer";
import { getErasureRequest, readRequestIds } from "../../runtime/erasure/request";
import { readAudit } from "../../runtime/erasure/audit";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/subjects/subjectHash";
import { UsageError } from "../../runtime/contracts/errors";
import type { LocalStack } from "../../runtime/contracts/stack";
import { createTableLike } from "../../local/stack";
import { serveLocalLambda, LocalLambda } from "../../local/lambda";
import { filterBuilderEnvironment, intakeEnvironment } from "../support/intakeEnvironment";
import { sharedLocalStack } from "../support/localStack";

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a refusal");
}

async function requestCount(table: string): Promise<number> {
  const out = await makeDocumentClient().send(new ScanCommand({ TableName: table, Select: "COUNT" }));
  return out.Count ?? 0;
}

describe("request function: intake of an erasure request", () => {
  let stack: LocalStack;
  let hasher: SubjectHasher;
  let lambda: LocalLambda;
  let env: Record<string, string>;
  const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;

  before(async () => {
    stack = await sharedLocalStack();
    hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const builder = createFilterBuilderHandler(filterBuilderEnvironment(stack));
    lambda = await serveLocalLambda({ [stack.filterBuilderFunction]: (e) => builder(e) });
    process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
    const run = randomUUID().slice(0, 8);
    env = {
      ...intakeEnvironment(stack, {
        idempotencyTable: await createTableLike("idempotency", `idempotency-${run}`),
      }),
      // A table of its own: the open requests filed here must not join another test's batch.
      LETHE_REQUESTS_TABLE: await createTableLike("requests", `requests-${run}`),
    };
  });
  after(async () => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
    await lambda.close();
  });

  it("the console event is one it accepts", () => {
    const event = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../events/request.json"), "utf8"));
    expect(event.customerIds).to.be.an("array").with.length.above(0);
    expect(() => parseRequestEvent(event)).to.not.throw();
  });

  it("registers the opt-outs and rebuilds the filter before it replies, records the request, audits hashes only", async () => {
    const run = randomUUID().slice(0, 8);
    const ids = [`in-${run}-1`, `in-${run}-2`];
    const before = lambda.invocations[stack.filterBuilderFunction] ?? 0;
    const started = Date.now();
    const reply = await createRequestHandler(env)({
      customerIds: ids,
      reason: "art. 17",
      requestedBy: "dpo@example.com",
    });
    expect(reply).to.include({ status: "RECEIVED", subjects: 2 });
    expect(Date.parse(reply.deadline) - Date.parse(reply.receivedAt)).to.equal(
      stack.erasureSettings.deadlineDays * 86_400_000,
    );
    expect(Date.parse(reply.receivedAt)).to.be.within(started - 1000, Date.now());
    expect(lambda.invocations[stack.filterBuilderFunction]).to.equal(before + 1);
    expect(reply.optOut).to.include({ registered: 2, filterStatus: "published" });

    // The registry holds the subjects, and the published filter already drops their new records.
    const registry = new OptOutRegistry(makeDocumentClient(), stack.optOutTable);
    expect([...(await registry.optedOut(ids))].sort()).to.deep.equal(ids);
    const transform = createIngestTransformerHandler(filterBuilderEnvironment(stack));
    const out = await transform({
      invocationId: "t",
      deliveryStreamArn: "arn:aws:firehose:eu-west-1:000000000000:deliverystream/t",
      region: "eu-west-1",
      records: [...ids, `other-${run}`].map((id, i) => ({
        recordId: String(i),
        approximateArrivalTimestamp: Date.now(),
        data: Buffer.from(JSON.stringify({ customer_id: id, event_type: "login" })).toString("base64"),
      })),
    });
    expect(out.records.map((r) => r.result)).to.deep.equal(["Dropped", "Dropped", "Ok"]);

    const item = (await getErasureRequest(makeDocumentClient(), env.LETHE_REQUESTS_TABLE, reply.requestId))!;
    expect(item).to.deep.include({
      status: "RECEIVED",
      deadline: reply.deadline,
      receivedAt: reply.receivedAt,
      subjectCount: 2,
      reason: "art. 17",
      requestedBy: "dpo@example.com",
    });
    expect(JSON.stringify(item)).to.not.include(`in-${run}`);
    expect(await readRequestIds(makeS3Client(), item)).to.deep.equal(ids.map((id) => [id]));
    const trail = await readAudit(makeDocumentClient(), stack.auditTable, reply.requestId);
    expect(trail.map((e) => e.step)).to.deep.equal(["received"]);
    expect(trail[0].detail.subjects).to.deep.equal(ids.map((id) => hasher.hash(id)));
    expect(JSON.stringify(trail)).to.not.include(`in-${run}`);
  });

  it("takes composite keys as arrays of their parts", async () => {
    const run = randomUUID().slice(0, 8);
    const reply = await createRequestHandler(env)({
      customerIds: [
        ["acme", `c-${run}`],
        ["globex", `c-${run}`],
      ],
    });
    expect(reply.subjects).to.equal(2);
    const item = (await getErasureRequest(makeDocumentClient(), env.LETHE_REQUESTS_TABLE, reply.requestId))!;
    expect(await readRequestIds(makeS3Client(), item)).to.deep.equal([
      ["acme", `c-${run}`],
      ["globex", `c-${run}`],
    ]);
  });

  it("keeps two composite keys apart whose parts differ only in where a unit separator falls", async () => {
    const run = randomUUID().slice(0, 8);
    // Joined with a unit separator, both would be "a-<run>\u001fb\u001fc".
    const keys = [
      [`a-${run}\u001fb`, "c"],
      [`a-${run}`, "b\u001fc"],
    ];
    const reply = await createRequestHandler(env)({ customerIds: keys });
    expect(reply.subjects).to.equal(2);
    expect(reply.optOut.registered).to.equal(2);
    const item = (await getErasureRequest(makeDocumentClient(), env.LETHE_REQUESTS_TABLE, reply.requestId))!;
    expect(item.subjectCount).to.equal(2);
    expect(await readRequestIds(makeS3Client(), item)).to.deep.equal(keys);
    // One opt-out entry each.
    const entries = await makeDocumentClient().send(
      new ScanCommand({
        TableName: stack.optOutTable,
        FilterExpression: "requestRef = :r",
        ExpressionAttributeValues: { ":r": reply.requestId },
      }),
    );
    expect(entries.Items).to.have.length(2);
    // Two hashes, neither that of a one-part ID written as the key's text.
    const trail = await readAudit(makeDocumentClient(), stack.auditTable, reply.requestId);
    expect(trail[0].detail.subjects).to.deep.equal(keys.map((k) => hasher.hash(k)));
    expect(new Set(trail[0].detail.subjects as string[]).size).to.equal(2);
    expect(hasher.hash(keys[0])).to.not.equal(hasher.hash(JSON.stringify(keys[0])));
  });

  it("refuses bad IDs with one error per bad ID, naming its position, and records nothing", async () => {
    const run = randomUUID().slice(0, 8);
    const handler = createRequestHandler(env);
    const count = await requestCount(env.LETHE_REQUESTS_TABLE);
    const calls = lambda.invocations[stack.filterBuilderFunction] ?? 0;
    const err = await refusal(handler({ customerIds: [`ok-${run}`, "", 42, " ", `ok-${run}-2`] }));
    expect(err).to.be.instanceOf(UsageError);
    expect(err.message).to.equal(
      "ID 2: the ID is empty; ID 3 is not a string or an array of strings; ID 4: the ID is blank",
    );
    for (const [event, message] of [
      [{ customerIds: [] }, /at least one customer ID/],
      [{}, /has no "customerIds"/],
      [{ customerIds: "c-1" }, /"customerIds" must be an array/],
      [{ customerIds: ["c-1"], reason: 3 }, /reason must be a non-empty string/],
      [{ ids: ["c-1"] }, /the IDs go in "customerIds"; "ids" is not a field/],
      [{ ids: ["c-1"], customerIds: ["c-1"] }, /the IDs go in "customerIds"/],
      [{ customerIds: ["c-1"], idz: 1 }, /unknown field\(s\) idz/],
      [{ customerIds: [["a", "b"], ["c"]] }, /ID 2: 1 part\(s\), but 2 column\(s\)/],
      [
        { customerIds: Array.from({ length: maxRequestSubjects + 1 }, (_, i) => `x${i}`) },
        new RegExp(`at most ${maxRequestSubjects}`),
      ],
    ] as const) {
      const e = await refusal(handler(event));
      expect(e, JSON.stringify(event).slice(0, 80)).to.be.instanceOf(UsageError);
      expect(e.message).to.match(message);
    }
    expect(await requestCount(env.LETHE_REQUESTS_TABLE)).to.equal(count);
    expect(lambda.invocations[stack.filterBuilderFunction] ?? 0).to.equal(calls);
    const registry = new OptOutRegistry(makeDocumentClient(), stack.optOutTable);
    expect((await registry.optedOut([`ok-${run}`, `ok-${run}-2`])).size).to.equal(0);
  });

  it("replays the first reply to a retry with the same idempotency key and records nothing more", async () => {
    const run = randomUUID().slice(0, 8);
    const event = { customerIds: [`idem-${run}`], idempotencyKey: `ticket-${run}`, reason: "art. 17" };
    const first = await createRequestHandler(env)(event);
    const count = await requestCount(env.LETHE_REQUESTS_TABLE);
    const calls = lambda.invocations[stack.filterBuilderFunction];
    // Another cold start (a retried Lambda call lands anywhere).
    const again = await createRequestHandler(env)({ ...event });
    expect(again).to.deep.equal(first);
    expect(await requestCount(env.LETHE_REQUESTS_TABLE)).to.equal(count);
    expect(lambda.invocations[stack.filterBuilderFunction]).to.equal(calls);
    const trail = await readAudit(makeDocumentClient(), stack.auditTable, first.requestId);
    expect(trail).to.have.length(1);

    const reused = await refusal(createRequestHandler(env)({ ...event, customerIds: [`other-${run}`] }));
    expect(reused).to.be.instanceOf(UsageError);
    expect(reused.message).to.match(/idempotency key "ticket-.*" was used for another request/);
    expect(await requestCount(env.LETHE_REQUESTS_TABLE)).to.equal(count);

    // Without a key every call is a request of its own.
    const a = await createRequestHandler(env)({ customerIds: [`nokey-${run}`] });
    const b = await createRequestHandler(env)({ customerIds: [`nokey-${run}`] });
    expect(a.requestId).to.not.equal(b.requestId);
  });

  it("files a request of 10,000 IDs: IDs in S3, every subject opted out, a small item", async function () {
    this.timeout(300_000);
    const run = randomUUID().slice(0, 8);
    const ids = Array.from({ length: 10_000 }, (_, i) => `big-${run}-${i}`);
    const started = Date.now();
    const reply = await createRequestHandler(env)({ customerIds: ids, idempotencyKey: `big-${run}` });
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `      10,000 IDs filed in ${seconds.toFixed(1)} s (opt-outs, filter rebuild, IDs file, audit)`,
    );
    expect(reply.subjects).to.equal(10_000);
    const item = (await getErasureRequest(makeDocumentClient(), env.LETHE_REQUESTS_TABLE, reply.requestId))!;
    expect(item.subjectCount).to.equal(10_000);
    expect(JSON.stringify(item).length).to.be.below(2_000);
    expect((await readRequestIds(makeS3Client(), item))!.map((k) => k[0])).to.deep.equal(ids);
    const registry = new OptOutRegistry(makeDocumentClient(), stack.optOutTable);
    expect((await registry.optedOut(ids)).size).to.equal(10_000);
    const [audit] = await readAudit(makeDocumentClient(), stack.auditTable, reply.requestId, makeS3Client());
    expect(audit.detail.subjects).to.have.length(10_000);
    const replay = await createRequestHandler(env)({ customerIds: ids, idempotencyKey: `big-${run}` });
    expect(replay.requestId).to.equal(reply.requestId);
  });
});
