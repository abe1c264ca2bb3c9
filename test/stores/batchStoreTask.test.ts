// A store's step of a batch as the state machine calls it: the batch record (moto) gives the manifest
// and takes the outcome and the step; a subsystem double answers; the owner is alerted once per batch.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { makeDocumentClient, makeSecretsManagerClient } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import { envNames } from "../../runtime/contracts/env";
import { SubsystemStoreConfig } from "../../runtime/contracts/stores";
import { BatchTables, createBatch, getBatch, recordStoreOutcome } from "../../runtime/erasure/batches";
import {
  BatchStoreDeps,
  failureReason,
  nextWait,
  parseBatchStoreEvent,
  runBatchStoreTask,
} from "../../runtime/stores/batchStoreTask";
import { OwnerAlert } from "../../runtime/stores/ownerAlert";
import { secretReader } from "../../runtime/stores/secrets";
import { createStoreHandler } from "../../runtime/stores/storeHandler";
import { subsystemClient } from "../../runtime/stores/subsystem";
import { createTableLike } from "../../local/stack/copies";
import { putSecret } from "../../local/fixtures/storeFixtures";
import { startSubsystemDouble, SubsystemDouble } from "../support/subsystemDouble";

describe("stores: a batch's store step (state machine)", () => {
  const sm = makeSecretsManagerClient();
  const run = randomUUID().slice(0, 8);
  let tables: BatchTables;
  let signingSecret: string;
  let double: SubsystemDouble | undefined;
  const subjects = [["cust-a"], ["cust-b"]];

  before(async () => {
    tables = {
      doc: makeDocumentClient(),
      ledgerTable: await createTableLike("ledger", `lethe-test-bst-ledger-${run}`),
      requestsTable: "",
    };
    signingSecret = await putSecret(sm, `lethe-test/bst-signing-${run}`, "bst-key");
  });
  afterEach(async () => {
    await double?.close();
    double = undefined;
  });

  async function batch(deadline = "2027-01-31T00:00:00.000Z"): Promise<string> {
    const batchId = `b-${randomUUID().slice(0, 8)}`;
    await createBatch(tables, {
      batchId,
      requestIds: [],
      subjectCount: subjects.length,
      manifest: { bucket: "lake", key: `erasure-manifests/batch_id=${batchId}/manifest.jsonl` },
      deadline,
      createdAt: new Date().toISOString(),
    });
    return batchId;
  }

  async function subsystemDeps(behaviour: "sync" | "async" | "failing", alerts: OwnerAlert[]) {
    double = await startSubsystemDouble({ behaviour, secret: "bst-key", pollsUntilDone: 1 });
    const store: SubsystemStoreConfig = {
      name: "crm",
      kind: "subsystem",
      owner: "crm-team@example.com",
      url: double.url,
      mode: behaviour === "async" ? "async" : "sync",
      signingSecret,
    };
    const deps: BatchStoreDeps = {
      store,
      batches: tables,
      // The manifest read is the store handlers' (tested with S3 there); here the batch's keys directly.
      readIds: async () => subjects,
      sendAlert: async (a) => void alerts.push(a),
      subsystem: subsystemClient(store, secretReader(sm), { allowLoopbackHttp: true }),
    };
    return deps;
  }

  it("a failing store alerts its owner once, however often its step is called again", async () => {
    const alerts: OwnerAlert[] = [];
    const deps = await subsystemDeps("failing", alerts);
    const batchId = await batch();
    const first = await runBatchStoreTask(deps, { batchId, store: "crm", action: "submit" });
    expect(first).to.deep.equal({
      done: true,
      nextAction: null,
      waitSeconds: 0,
      result: {
        store: "crm",
        kind: "subsystem",
        ok: false,
        outcome: "needs-attention",
        rowsRemoved: 0,
        reason: "answered failed (HTTP 422): the test double always fails",
      },
    });
    await runBatchStoreTask(deps, { batchId, store: "crm", action: "submit" });
    await runBatchStoreTask(deps, {
      batchId,
      store: "crm",
      action: "fail",
      failure: { Error: "States.Timeout", Cause: "" },
    });
    expect(alerts).to.have.length(1);
    expect(alerts[0].attributes).to.include({ store: "crm", owner: "crm-team@example.com", batchId });
    const record = (await getBatch(tables, batchId))!;
    expect(record.storeOutcomes!.crm).to.deep.equal({
      kind: "subsystem",
      name: "crm",
      outcome: "failed",
      rowsRemoved: 0,
      reason: "the store's function failed: States.Timeout",
    });
    expect(record.steps!["store:crm"].endedAt).to.be.a("string");
  });

  it("an async subsystem: pending with the next action and a wait, then done, polls counted on the step", async () => {
    const alerts: OwnerAlert[] = [];
    const deps = await subsystemDeps("async", alerts);
    const batchId = await batch();
    const submitted = await runBatchStoreTask(deps, {
      batchId,
      store: "crm",
      action: "submit",
      pollSeconds: 5,
      maxPollSeconds: 60,
    });
    expect(submitted).to.deep.equal({ done: false, nextAction: "poll", waitSeconds: 5, result: null });
    const polled = await runBatchStoreTask(deps, { batchId, store: "crm", action: "poll", pollSeconds: 5 });
    expect(polled).to.deep.include({ done: false, nextAction: "poll", waitSeconds: 10 });
    const done = await runBatchStoreTask(deps, { batchId, store: "crm", action: "poll" });
    expect(done.result).to.deep.equal({
      store: "crm",
      kind: "subsystem",
      ok: true,
      outcome: "erased",
      rowsRemoved: 2,
    });
    const step = (await getBatch(tables, batchId))!.steps!["store:crm"];
    expect(step.counts).to.deep.equal({ subjects: 2, polls: 2, erased: 2 });
    expect(alerts).to.deep.equal([]);
  });

  it("waits double per poll, up to the maximum, and never past the deadline", () => {
    const now = Date.parse("2027-01-01T00:00:00Z");
    const far = "2027-02-01T00:00:00Z";
    const e = { batchId: "b", store: "crm", action: "poll" as const, pollSeconds: 30, maxPollSeconds: 600 };
    expect([0, 1, 2, 3, 4, 5, 40].map((p) => nextWait(e, p, far, now))).to.deep.equal([
      30, 60, 120, 240, 480, 600, 600,
    ]);
    expect(nextWait(e, 5, "2027-01-01T00:01:30Z", now)).to.equal(90);
    expect(nextWait(e, 5, "2026-12-31T00:00:00Z", now)).to.equal(1);
  });

  it("reads a function's error out of Step Functions' Cause", () => {
    expect(
      failureReason({
        Error: "Runtime.ExitError",
        Cause: JSON.stringify({ errorType: "Runtime.ExitError", errorMessage: "RequestId: x Error: exited" }),
      }),
    ).to.equal("the store's function failed: Runtime.ExitError: RequestId: x Error: exited");
    expect(failureReason(undefined)).to.equal("the store's function failed: an unknown error");
  });

  it("refuses events that do not fit the store, naming the field; a recorded outcome needs the batch", async () => {
    const store: SubsystemStoreConfig = {
      name: "crm",
      kind: "subsystem",
      owner: "crm-team@example.com",
      url: "https://crm.example.com",
      mode: "sync",
      signingSecret,
    };
    const bad = (e: object) => () => parseBatchStoreEvent({ batchId: "b1", store: "crm", ...e }, store);
    expect(bad({ action: "forget" })).to.throw(
      UsageError,
      'store "crm": bad state-machine event: action must be submit, poll or fail for a subsystem store, got "forget"',
    );
    expect(bad({ action: "fail" })).to.throw(/failure must be the caught error/);
    expect(bad({ action: "poll", store: "billing" })).to.throw(/store must be "crm"/);
    expect(bad({ action: "poll", pollSeconds: 0 })).to.throw(/pollSeconds must be a whole number/);
    const missing = await recordStoreOutcome(tables, "b-none", "crm", {
      kind: "subsystem",
      name: "crm",
      outcome: "erased",
      rowsRemoved: 0,
    }).catch((e: unknown) => e);
    expect((missing as Error).message).to.equal("batch b-none does not exist");

    // The handler takes the state machine's form only where it knows the ledger table.
    const handler = createStoreHandler(
      { [envNames.alertTopicArn]: "arn:aws:sns:eu-west-1:123456789012:t" },
      store,
      {
        subsystem: subsystemClient(store, secretReader(sm)),
      },
    );
    const error = await handler({ batchId: "b1", store: "crm", action: "submit" }).catch((e: unknown) => e);
    expect((error as Error).message).to.equal(`environment variable ${envNames.ledgerTable} is not set`);
  });
});
