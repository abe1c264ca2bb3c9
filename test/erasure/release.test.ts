// A cancelled or rejected erasure on the emulator, through the functions as the console runs them:
// its subjects are opted back in unless another request holds them, the filter is rebuilt, its raw
// IDs and idempotency record go, and the audit names who moved it and what was released. Also: a
// failed intake changes nothing, and the idempotency record holds no unkeyed digest of the body.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import { readAudit } from "../../runtime/erasure/audit";
import { BatchTables, createBatch, getBatch, moveBatch, moveRequest } from "../../runtime/erasure/batches";
import { fileErasureRequest } from "../../runtime/erasure/intake";
import {
  idempotencyRecordId,
  powertoolsDigest,
  requestBodyDigest,
} from "../../runtime/erasure/idempotencyRecord";
import { getErasureRequest, requestIdsKey } from "../../runtime/erasure/request";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/subjects/subjectHash";
import { createApprovalHandler } from "../../runtime/handlers/approval";
import { createCancelHandler } from "../../runtime/handlers/cancel";
import { createOptInHandler } from "../../runtime/handlers/optIn";
import { createRequestHandler } from "../../runtime/handlers/request";
import { auditSettingsFromEnv } from "../../runtime/handlers/optOutDeps";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import type { LocalStack } from "../../runtime/contracts/stack";
import { createTableLike } from "../../local/stack";
import { intakeEnvironment } from "../support/intakeEnvironment";
import { sharedLocalStack } from "../support/localStack";

describe("erasure: a cancelled or rejected request releases its opt-outs, audited", () => {
  const doc = makeDocumentClient();
  const s3 = makeS3Client();
  let stack: LocalStack;
  let hasher: SubjectHasher;
  let env: Record<string, string>;
  let registry: OptOutRegistry;
  let tables: BatchTables;
  let rebuilds = 0;
  const rebuildFilter = async () => ({ status: "published", generation: ++rebuilds });

  before(async () => {
    stack = await sharedLocalStack();
    hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const run = randomUUID().slice(0, 8);
    env = {
      ...intakeEnvironment(stack, {
        idempotencyTable: await createTableLike("idempotency", `idempotency-${run}`),
      }),
      LETHE_REQUESTS_TABLE: await createTableLike("requests", `requests-${run}`),
      LETHE_LEDGER_TABLE: await createTableLike("ledger", `ledger-${run}`),
    };
    registry = new OptOutRegistry(doc, stack.optOutTable);
    tables = {
      doc,
      requestsTable: env.LETHE_REQUESTS_TABLE,
      ledgerTable: env.LETHE_LEDGER_TABLE,
      audit: auditSettingsFromEnv(env, s3),
    };
  });

  const file = (event: Record<string, unknown>) => createRequestHandler(env, { rebuildFilter })(event);
  const registered = async (ids: string[]) => [...(await registry.optedOut(ids))].sort();
  const steps = async (requestId: string) => await readAudit(doc, stack.auditTable, requestId);

  it("cancel: subjects no other request holds are opted back in and the filter rebuilt; the audit names who; raw IDs and idempotency record go", async () => {
    const run = randomUUID().slice(0, 8);
    const [alone, shared, erasedBefore, other] = ["alone", "shared", "erased", "other"].map(
      (p) => `${p}-${run}`,
    );
    // Registered by an erasure long completed (its request item expired): it must stay out.
    await registry.add(erasedBefore, `completed-${run}`);
    const first = await file({
      customerIds: [alone, shared, erasedBefore],
      idempotencyKey: `key-${run}`,
      reason: "art. 17",
    });
    const second = await file({ customerIds: [shared, other], reason: "art. 17" });
    const idempotencyKey = { id: idempotencyRecordId(`key-${run}`) };
    expect(
      (await doc.send(new GetCommand({ TableName: env.LETHE_IDEMPOTENCY_TABLE, Key: idempotencyKey }))).Item,
    ).to.not.equal(undefined);
    const rebuildsBefore = rebuilds;

    const cancel = createCancelHandler(env, { rebuildFilter });
    const reply = await cancel({
      requestId: first.requestId,
      reason: "filed by mistake",
      by: "Dana",
      principal: "arn:aws:iam::123456789012:user/ops",
    });
    expect(reply).to.include({ optOutsReleased: 1, optOutsKept: 2, rawIdsDropped: 1 });
    expect(reply.message).to.include("1 subject(s) opted back in");
    expect(await registered([alone, shared, erasedBefore, other])).to.deep.equal(
      [erasedBefore, other, shared].sort(),
    );
    expect(rebuilds).to.equal(rebuildsBefore + 1);

    // The raw IDs (every version) and the idempotency record are gone; the request expires.
    const request = (await getErasureRequest(doc, env.LETHE_REQUESTS_TABLE, first.requestId))!;
    expect(request.status).to.equal("CANCELLED");
    expect(request.idsFile).to.equal(undefined);
    expect(request.ttl).to.be.a("number");
    const versions = await s3.send(
      new ListObjectVersionsCommand({ Bucket: stack.lakeBucket, Prefix: requestIdsKey(first.requestId) }),
    );
    expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]).to.have.length(0);
    expect(
      (await doc.send(new GetCommand({ TableName: env.LETHE_IDEMPOTENCY_TABLE, Key: idempotencyKey }))).Item,
    ).to.equal(undefined);

    const trail = await steps(first.requestId);
    const move = trail.find((e) => e.step === "state")!;
    expect(move.detail).to.deep.include({
      to: "CANCELLED",
      by: "arn:aws:iam::123456789012:user/ops",
      note: "Dana",
    });
    expect(trail.find((e) => e.step === "cancelled")!.detail).to.include({
      by: "arn:aws:iam::123456789012:user/ops",
    });
    const released = trail.find((e) => e.step === "opt-outs-released")!.detail;
    expect(released.released).to.deep.equal([hasher.hash(alone)]);
    expect(released.kept).to.have.members([hasher.hash(shared), hasher.hash(erasedBefore)]);
    expect(JSON.stringify(trail)).to.not.include(run);

    // The second request cancelled too: now nothing holds the shared subject.
    const again = await cancel({ requestId: second.requestId });
    expect(again).to.include({ optOutsReleased: 2, optOutsKept: 0 });
    expect(await registered([alone, shared, erasedBefore, other])).to.deep.equal([erasedBefore]);
  });

  it("reject: the batch's subjects are opted back in; the decision and each move record the principal, the typed name as a note", async () => {
    const run = randomUUID().slice(0, 8);
    const filed = await file({ customerIds: [`rej-${run}`], reason: "art. 17" });
    const batchId = `b-${run}`;
    await createBatch(tables, {
      batchId,
      requestIds: [filed.requestId],
      subjectCount: 1,
      manifest: { bucket: stack.lakeBucket, key: `erasure-manifests/batch_id=${batchId}/manifest.jsonl` },
      deadline: filed.deadline,
      createdAt: new Date().toISOString(),
    });
    // The request as batching leaves it.
    await moveRequest(tables, filed.requestId, "BATCHED", { batchId });
    await moveBatch(tables, batchId, "FINDING");
    await moveBatch(tables, batchId, "AWAITING_APPROVAL", {
      approval: { taskToken: `local-${run}`, requestedAt: new Date().toISOString() },
    });
    const reply = await createApprovalHandler(env, { rebuildFilter })({
      batchId,
      decision: "reject",
      reason: "plan too broad",
      by: "Dana",
      principal: "cognito:5f0c-sub",
    });
    expect(reply).to.include({ status: "REJECTED", optOutsReleased: 1, optOutsKept: 0 });
    expect(await registered([`rej-${run}`])).to.deep.equal([]);
    expect((await getBatch(tables, batchId))!.approval).to.include({ by: "cognito:5f0c-sub", note: "Dana" });

    const trail = await steps(filed.requestId);
    expect(trail.filter((e) => e.step === "state").map((e) => e.detail.to)).to.deep.equal([
      "BATCHED",
      "FINDING",
      "AWAITING_APPROVAL",
      "REJECTED",
    ]);
    expect(trail.find((e) => e.detail.to === "FINDING")!.detail.by).to.equal("lethe workflow");
    expect(trail.find((e) => e.detail.to === "REJECTED")!.detail).to.include({
      by: "cognito:5f0c-sub",
      note: "Dana",
    });
    expect(trail.find((e) => e.step === "rejected")!.detail).to.include({
      by: "cognito:5f0c-sub",
      note: "Dana",
      reason: "plan too broad",
    });
    expect(trail.find((e) => e.step === "opt-outs-released")!.detail.released).to.deep.equal([
      hasher.hash(`rej-${run}`),
    ]);
  });

  it("opt-in: an operator opts subjects back in, audited with who and why; a subject an open request holds is refused, changing nothing", async () => {
    const run = randomUUID().slice(0, 8);
    const optIn = createOptInHandler(env, { rebuildFilter });
    const open = await file({ customerIds: [`open-${run}`], reason: "art. 17" });
    await registry.add(`manual-${run}`, `completed-${run}`);
    let refused: Error | undefined;
    await optIn({ customerIds: [`manual-${run}`, `open-${run}`], reason: "wrong customer" }).catch(
      (err: Error) => (refused = err),
    );
    expect(refused?.message)
      .to.include("ID 2 is held by an open erasure request")
      .and.include(open.requestId);
    expect(refused?.message).to.not.include(run.slice(0, 8) + "-");
    expect(await registered([`manual-${run}`, `open-${run}`])).to.deep.equal([
      `manual-${run}`,
      `open-${run}`,
    ]);

    const before = rebuilds;
    const reply = await optIn({
      customerIds: [`manual-${run}`, `never-${run}`],
      reason: "wrong customer, ticket 4712",
      by: "Dana",
      principal: "arn:aws:iam::123456789012:user/ops",
    });
    expect(reply).to.include({ optedIn: 1, notRegistered: 1 });
    expect(rebuilds).to.equal(before + 1);
    expect(await registered([`manual-${run}`])).to.deep.equal([]);
    const [entry] = await steps(reply.optInId);
    expect(entry.step).to.equal("opted-in");
    expect(entry.detail).to.deep.include({
      subjects: [hasher.hash(`manual-${run}`)],
      reason: "wrong customer, ticket 4712",
      by: "arn:aws:iam::123456789012:user/ops",
      note: "Dana",
    });
    expect(JSON.stringify(entry)).to.not.include(`manual-${run}`);
  });

  it("a failed intake (the filter rebuild fails) takes back the opt-outs it added and records nothing", async () => {
    const run = randomUUID().slice(0, 8);
    await registry.add(`held-${run}`, `earlier-${run}`);
    const requests = {
      doc,
      s3,
      tableName: env.LETHE_REQUESTS_TABLE,
      bucket: stack.lakeBucket,
      kmsKeyArn: stack.kmsKeyArn,
      erasure: stack.erasureSettings,
    };
    let failure: Error | undefined;
    await fileErasureRequest(
      {
        requests,
        hasher,
        registry,
        audit: tables.audit!,
        rebuildFilter: async () => {
          throw new Error("Function not found: lethe-dev-filter-builder");
        },
      },
      { customerIds: [`new-${run}`, `held-${run}`] },
    ).catch((err: Error) => (failure = err));
    expect(failure?.message).to.include("Function not found");
    expect(await registered([`new-${run}`, `held-${run}`])).to.deep.equal([`held-${run}`]);
    expect((await registry.entries([`held-${run}`])).get(`held-${run}`)!.requestRef).to.equal(
      `earlier-${run}`,
    );
  });

  it("the idempotency record validates retries on a keyed digest of the body, not an md5 of the IDs", async () => {
    const run = randomUUID().slice(0, 8);
    const event = { customerIds: [`idem-${run}`], idempotencyKey: `idem-${run}`, reason: "art. 17" };
    await file(event);
    const record = (
      await doc.send(
        new GetCommand({
          TableName: env.LETHE_IDEMPOTENCY_TABLE,
          Key: { id: idempotencyRecordId(`idem-${run}`) },
        }),
      )
    ).Item!;
    // What Powertools stored before: md5 of [customerIds, reason, requestedBy] (anyone can recompute it).
    expect(record.validation).to.not.equal(powertoolsDigest([[`idem-${run}`], "art. 17", null]));
    expect(record.validation).to.equal(
      powertoolsDigest(requestBodyDigest(hasher, { customerIds: event.customerIds, reason: "art. 17" })),
    );
  });
});
