// Erasure requests and the audit trail against the local emulator.
import { expect } from "chai";
import { makeDocumentClient } from "../../runtime/aws/clients";
import {
  InvalidErasureRequest,
  getErasureRequest,
  markErasureStatus,
  normaliseSubjects,
  recordErasureRequest,
} from "../../runtime/erasure/request";
import { appendAudit, readAudit } from "../../runtime/erasure/audit";
import { subjectHash } from "../../runtime/erasure/subjectHash";
import { randomUUID } from "node:crypto";
import type { LocalStack } from "../../runtime/contracts/stack";
import { sharedLocalStack } from "../support/localStack";

describe("erasure requests and audit trail", () => {
  let stack: LocalStack;
  const doc = () => makeDocumentClient();
  before(async () => {
    stack = await sharedLocalStack();
  });

  it("hashes subjects stably, separating composite key parts, and keyed when a secret is set", () => {
    expect(subjectHash("c-1"))
      .to.equal(subjectHash("c-1"))
      .and.match(/^sha256:[0-9a-f]{24}$/);
    expect(subjectHash(["a", "bc"])).to.not.equal(subjectHash(["ab", "c"]));
    expect(subjectHash("c-1", "secret")).to.not.equal(subjectHash("c-1"));
  });

  it("refuses an empty request, an empty key part and keys of different arity, naming the subject", () => {
    expect(() => normaliseSubjects([])).to.throw(InvalidErasureRequest, /at least one customer ID/);
    expect(() => normaliseSubjects(["a", " "])).to.throw(
      InvalidErasureRequest,
      /subject 2 has an empty key part/,
    );
    expect(() => normaliseSubjects([["a", "1"], ["b"]])).to.throw(
      InvalidErasureRequest,
      /subject 2 has 1 key parts/,
    );
    expect(normaliseSubjects(["a", "a", "b"])).to.deep.equal([["a"], ["b"]]);
  });

  it("records the deadline, and on verification drops the raw IDs and sets a TTL", async () => {
    const now = new Date("2026-11-29T10:00:00Z");
    const settings = {
      tableName: stack.requestsTable,
      deadlineDays: 30,
      retentionDays: 90,
      now: () => now,
    };
    const r = await recordErasureRequest(doc(), settings, ["cust-42", "cust-7"]);
    expect(r.deadline).to.equal("2026-12-29T10:00:00.000Z");
    const stored = await getErasureRequest(doc(), stack.requestsTable, r.requestId);
    expect(stored?.subjects).to.deep.equal([["cust-42"], ["cust-7"]]);
    expect(stored?.status).to.equal("RECEIVED");

    await markErasureStatus(doc(), settings, r.requestId, "VERIFIED");
    const done = await getErasureRequest(doc(), stack.requestsTable, r.requestId);
    expect(done?.status).to.equal("VERIFIED");
    expect(done?.subjects).to.equal(undefined);
    expect(done?.subjectHashes).to.deep.equal([subjectHash("cust-42"), subjectHash("cust-7")]);
    expect(done?.ttl).to.equal(Math.floor(now.getTime() / 1000) + 90 * 86_400);
  });

  it("refuses to update a request that was never recorded", async () => {
    const settings = { tableName: stack.requestsTable, deadlineDays: 30, retentionDays: 90 };
    let err: unknown;
    try {
      await markErasureStatus(doc(), settings, "no-such-request", "VERIFIED");
    } catch (e) {
      err = e;
    }
    expect((err as Error)?.name).to.equal("ConditionalCheckFailedException");
  });

  it("keeps every audit step in order, without raw IDs", async () => {
    const settings = { tableName: stack.auditTable, retentionDays: 365 };
    const requestId = `req-${randomUUID()}`;
    await appendAudit(doc(), settings, requestId, "recorded", { subjects: [subjectHash("cust-42")] });
    await appendAudit(doc(), settings, requestId, "purged", {
      object: "s3://lake/events/a.parquet",
      rowsRemoved: 3,
    });
    await appendAudit(doc(), settings, requestId, "verified", { remaining: 0 });
    const trail = await readAudit(doc(), stack.auditTable, requestId);
    expect(trail.map((e) => e.step)).to.deep.equal(["recorded", "purged", "verified"]);
    expect(JSON.stringify(trail)).to.not.include("cust-42");
  });
});
