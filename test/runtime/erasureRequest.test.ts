// Erasure requests and the audit trail against the local emulator.
import { expect } from "chai";
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import {
  ErasureRequest,
  ErasureRequestSettings,
  InvalidErasureRequest,
  getErasureRequest,
  moveErasureRequest,
  normaliseSubjects,
  rawIdsDroppedReason,
  rawIdsExpired,
  readRequestIds,
  readSubjectHashes,
  recordErasureRequest,
  sweepFailedRequestIds,
} from "../../runtime/erasure/request";
import { StateMoveRefused } from "../../runtime/erasure/stateMoves";
import type { ErasureState } from "../../runtime/contracts/requests";
import { appendAudit, AuditSettings, readAudit } from "../../runtime/erasure/audit";
import { dynamoItemBytes } from "../../runtime/erasure/itemSize";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/subjects/subjectHash";
import { ErasureSettings } from "../../runtime/erasure/settings";
import { randomUUID } from "node:crypto";
import type { LocalStack } from "../../runtime/contracts/stack";
import { sharedLocalStack } from "../support/localStack";
import { localErasureSettings } from "../support/stackSettings";

describe("erasure requests and audit trail", () => {
  let stack: LocalStack;
  let hasher: SubjectHasher;
  const doc = () => makeDocumentClient();
  const erasure: ErasureSettings = {
    ...localErasureSettings(),
    deadlineDays: 30,
    requestRetentionDays: 90,
    auditRetentionDays: 365,
    failedRequestIdGraceDays: 10,
  };
  const audit = (): AuditSettings => ({
    tableName: stack.auditTable,
    erasure,
    overflow: { s3: makeS3Client(), bucket: stack.auditBucket, kmsKeyArn: stack.kmsKeyArn },
  });
  before(async () => {
    stack = await sharedLocalStack();
    hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
  });

  const requests = (now?: () => Date): ErasureRequestSettings => ({
    doc: doc(),
    s3: makeS3Client(),
    tableName: stack.requestsTable,
    bucket: stack.lakeBucket,
    kmsKeyArn: stack.kmsKeyArn,
    erasure,
    now,
  });
  const walkTo = async (s: ErasureRequestSettings, requestId: string, states: ErasureState[]) => {
    for (const state of states) await moveErasureRequest(s, requestId, state);
  };

  it("refuses an empty request, an empty key part and keys of different arity, naming the subject", () => {
    expect(() => normaliseSubjects([])).to.throw(InvalidErasureRequest, /at least one customer ID/);
    expect(() => normaliseSubjects(["a", " "])).to.throw(InvalidErasureRequest, /ID 2: the ID is blank/);
    expect(() => normaliseSubjects([["a", "1"], ["b"]])).to.throw(
      InvalidErasureRequest,
      /ID 2: 1 part\(s\), but 2 column\(s\)/,
    );
    expect(normaliseSubjects(["a", "a", "b"])).to.deep.equal([["a"], ["b"]]);
  });

  it("records the deadline with the raw IDs in S3 (KMS), not in the item; completion drops them and sets a TTL", async () => {
    const now = new Date("2026-11-29T10:00:00Z");
    const settings = requests(() => now);
    const { request: r } = await recordErasureRequest(settings, hasher, {
      subjects: ["cust-42", "cust-7", "cust-42"],
      requestedBy: "dpo@example.com",
      reason: "art. 17 request",
    });
    expect(r.deadline).to.equal("2026-12-29T10:00:00.000Z");
    const stored = await getErasureRequest(doc(), stack.requestsTable, r.requestId);
    expect(stored).to.deep.include({
      status: "RECEIVED",
      subjectCount: 2,
      requestedBy: "dpo@example.com",
      reason: "art. 17 request",
    });
    expect(JSON.stringify(stored)).to.not.include("cust-42");
    expect(stored?.idsFile).to.deep.include({
      bucket: stack.lakeBucket,
      key: `erasure-requests/${r.requestId}/ids.jsonl`,
    });
    const head = await makeS3Client().send(
      new HeadObjectCommand({ Bucket: stack.lakeBucket, Key: stored!.idsFile!.key }),
    );
    expect(head.ServerSideEncryption).to.equal("aws:kms");
    expect(await readRequestIds(makeS3Client(), stored!)).to.deep.equal([["cust-42"], ["cust-7"]]);

    await walkTo(settings, r.requestId, ["BATCHED", "FINDING", "FORGETTING", "VERIFYING", "COMPLETED"]);
    const done = await getErasureRequest(doc(), stack.requestsTable, r.requestId);
    expect(done?.status).to.equal("COMPLETED");
    expect(done?.idsFile).to.equal(undefined);
    expect(done?.subjectHashes).to.deep.equal([hasher.hash("cust-42"), hasher.hash("cust-7")]);
    expect(done?.ttl).to.equal(Math.floor(now.getTime() / 1000) + 90 * 86_400);
    const versions = await makeS3Client().send(
      new ListObjectVersionsCommand({ Bucket: stack.lakeBucket, Prefix: stored!.idsFile!.key }),
    );
    expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]).to.have.length(0);
  });

  it("keeps the hashes of a 10,000-subject request beside its IDs file, not in the item", async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `big-${i}`);
    const { request } = await recordErasureRequest(requests(), hasher, ids);
    const stored = (await getErasureRequest(doc(), stack.requestsTable, request.requestId))!;
    expect(stored.subjectCount).to.equal(10_000);
    expect(stored.subjectHashes).to.equal(undefined);
    expect(dynamoItemBytes(stored)).to.be.below(2_000);
    const hashes = await readSubjectHashes(makeS3Client(), stored);
    expect(hashes).to.have.length(10_000);
    expect(hashes[9_999]).to.equal(hasher.hash("big-9999"));
    expect((await readRequestIds(makeS3Client(), stored))!.length).to.equal(10_000);
  });

  it("refuses a move its state does not allow, and one of a request that was never recorded", async () => {
    let err: unknown;
    try {
      await moveErasureRequest(requests(), "no-such-request", "BATCHED");
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(StateMoveRefused);
    expect((err as Error).message).to.equal("request no-such-request does not exist");
    const { request } = await recordErasureRequest(requests(), hasher, ["cust-move-1"]);
    err = undefined;
    try {
      await moveErasureRequest(requests(), request.requestId, "COMPLETED");
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal(
      `request ${request.requestId} is RECEIVED; it cannot become COMPLETED`,
    );
    expect((await getErasureRequest(doc(), stack.requestsTable, request.requestId))?.status).to.equal(
      "RECEIVED",
    );
  });

  it("keeps every audit step in order, without raw IDs", async () => {
    const settings = audit();
    const requestId = `req-${randomUUID()}`;
    await appendAudit(doc(), settings, requestId, "recorded", { subjects: [hasher.hash("cust-42")] });
    await appendAudit(doc(), settings, requestId, "purged", {
      object: "s3://lake/events/a.parquet",
      rowsRemoved: 3,
    });
    await appendAudit(doc(), settings, requestId, "verified", { remaining: 0 });
    const trail = await readAudit(doc(), stack.auditTable, requestId);
    expect(trail.map((e) => e.step)).to.deep.equal(["recorded", "purged", "verified"]);
    expect(JSON.stringify(trail)).to.not.include("cust-42");
  });

  it("keeps an audit step too large for a DynamoDB item in S3 (KMS), with a pointer in the item", async () => {
    // A batch of 12,000 hashed subjects: about 470 KB, over DynamoDB's 400 KB item limit.
    const subjects = Array.from({ length: 12_000 }, (_, i) => hasher.hash(`c-${i}`));
    const entry = await appendAudit(doc(), audit(), "req-big", "batched", { subjects, objects: 3 });
    expect(entry.detailObject?.bucket).to.equal(stack.auditBucket);
    const item = (
      await doc().send(
        new GetCommand({ TableName: stack.auditTable, Key: { requestId: "req-big", at: entry.at } }),
      )
    ).Item!;
    expect(dynamoItemBytes(item)).to.be.below(2000);
    expect(item.detail).to.deep.equal({});
    const head = await makeS3Client().send(
      new HeadObjectCommand({ Bucket: stack.auditBucket, Key: entry.detailObject!.key }),
    );
    expect(head.ServerSideEncryption).to.equal("aws:kms");
    expect(head.SSEKMSKeyId).to.contain(stack.kmsKeyArn.split("/").pop());
    const [back] = await readAudit(doc(), stack.auditTable, "req-big", makeS3Client());
    expect(back.detail).to.deep.equal({ subjects, objects: 3 });
    // A small step stays in the item.
    const small = await appendAudit(doc(), audit(), "req-big", "verified", { remaining: 0 });
    expect(small.detailObject).to.equal(undefined);
    const obj = await makeS3Client().send(
      new GetObjectCommand({ Bucket: stack.auditBucket, Key: entry.detailObject!.key }),
    );
    expect(JSON.parse(await obj.Body!.transformToString()).subjects).to.have.length(12_000);
  });

  it("counts item bytes as DynamoDB does, closely enough to stay under its limit", () => {
    expect(dynamoItemBytes({ a: "xyz" })).to.equal(4);
    expect(dynamoItemBytes({ n: 12345 })).to.equal(1 + 4);
    expect(dynamoItemBytes({ l: ["ab", "c"] })).to.equal(1 + 3 + (1 + 2) + (1 + 1));
    expect(dynamoItemBytes({ m: { k: true } })).to.equal(1 + 3 + (1 + 1 + 1));
  });

  it("drops a failed request's raw IDs once its deadline plus the grace has passed, and says so", async () => {
    const t0 = new Date("2026-10-01T00:00:00Z");
    let now = t0;
    const settings = requests(() => now);
    const { request: r } = await recordErasureRequest(settings, hasher, ["cust-fail-1"]);
    now = new Date(t0.getTime() + 86_400_000);
    await walkTo(settings, r.requestId, ["BATCHED", "NEEDS_ATTENTION"]);
    const cutoff = Date.parse(r.deadline) + erasure.failedRequestIdGraceDays * 86_400_000;

    now = new Date(cutoff - 1);
    expect(await sweepFailedRequestIds(settings)).to.not.include(r.requestId);
    const kept = await getErasureRequest(doc(), stack.requestsTable, r.requestId);
    expect(await readRequestIds(makeS3Client(), kept!)).to.deep.equal([["cust-fail-1"]]);
    expect(rawIdsExpired(kept!, erasure.failedRequestIdGraceDays, now)).to.equal(false);

    now = new Date(cutoff);
    expect(rawIdsExpired(kept!, erasure.failedRequestIdGraceDays, now)).to.equal(true);
    expect(await sweepFailedRequestIds(settings)).to.include(r.requestId);
    const dropped = await getErasureRequest(doc(), stack.requestsTable, r.requestId);
    expect(dropped?.idsFile).to.equal(undefined);
    expect(dropped?.status).to.equal("NEEDS_ATTENTION");
    expect(dropped?.subjectsDropped).to.deep.equal({ at: now.toISOString(), reason: rawIdsDroppedReason });
    expect(dropped?.subjectHashes).to.deep.equal([hasher.hash("cust-fail-1")]);
    expect(dropped?.ttl).to.equal(Math.floor(cutoff / 1000) + erasure.requestRetentionDays * 86_400);
    expect(await sweepFailedRequestIds(settings)).to.not.include(r.requestId);
    const versions = await makeS3Client().send(
      new ListObjectVersionsCommand({ Bucket: stack.lakeBucket, Prefix: kept!.idsFile!.key }),
    );
    expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]).to.have.length(0);
  });

  it("drops the raw IDs at once when a request fails after its deadline plus the grace", async () => {
    const t0 = new Date("2026-08-01T00:00:00Z");
    let now = t0;
    const settings = requests(() => now);
    const { request: r } = await recordErasureRequest(settings, hasher, ["cust-late-1"]);
    now = new Date(Date.parse(r.deadline) + (erasure.failedRequestIdGraceDays + 1) * 86_400_000);
    await walkTo(settings, r.requestId, ["BATCHED", "NEEDS_ATTENTION"]);
    const stored = await getErasureRequest(doc(), stack.requestsTable, r.requestId);
    expect(stored?.idsFile).to.equal(undefined);
    expect(stored?.subjectsDropped?.reason).to.equal(rawIdsDroppedReason);
  });

  it("keeps the raw IDs of open requests whatever the date", () => {
    const base: ErasureRequest = {
      requestId: "r",
      idsFile: { bucket: "b", key: "erasure-requests/r/ids.jsonl" },
      subjectCount: 1,
      subjectHashes: [],
      receivedAt: "2020-01-01T00:00:00.000Z",
      deadline: "2020-01-31T00:00:00.000Z",
      status: "FORGETTING",
    };
    const later = new Date("2030-01-01T00:00:00Z");
    expect(rawIdsExpired(base, 0, later)).to.equal(false);
    expect(rawIdsExpired({ ...base, status: "NEEDS_ATTENTION" }, 0, later)).to.equal(true);
    expect(rawIdsExpired({ ...base, status: "NEEDS_ATTENTION", idsFile: undefined }, 0, later)).to.equal(
      false,
    );
  });
});
