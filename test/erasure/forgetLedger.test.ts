// forgetObject against moto: the ledger's per-object outcomes and the batch's counters, idempotent
// redelivery, cancelled batches, bad input recorded on the batch, and the index entries of deleted
// versions removed.
import { expect } from "chai";
import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { ForgetLedger, ForgetServiceDeps, forgetObject, objectLockKey } from "../../runtime/erasure/forget";
import { indexSortKey } from "../../runtime/contracts/tables";
import { createTableLike } from "../../local/stack/copies";
import {
  TestLake,
  createTestLake,
  downloadVersions,
  lakeBytes,
  lakeMutex,
  purgeMessage,
  putLakeObject,
  putManifest,
} from "./forgetFixtures";

describe("forget: ledger, idempotency, cancellation and index (moto)", () => {
  let lake: TestLake;
  let deps: ForgetServiceDeps;
  let ledger: ForgetLedger;
  let indexTable: string;
  const doc = makeDocumentClient();
  const subjects = () => lake.customers.slice(0, 3);
  const key = () => `events/dt=2026-11-30/${randomUUID()}.parquet`;

  before(async () => {
    lake = await createTestLake();
    const ledgerTable = await createTableLike("ledger", `lethe-ledger-${randomUUID().slice(0, 8)}`);
    indexTable = await createTableLike("index", `lethe-index-${randomUUID().slice(0, 8)}`);
    ledger = new ForgetLedger(doc, ledgerTable, 30);
    deps = {
      s3: lake.s3,
      mutex: lakeMutex(lake, "ledger-test"),
      mappers: [lake.mapper],
      ledger,
      index: { doc, tableName: indexTable },
    };
  });
  after(() => fs.rmSync(lake.dir, { recursive: true, force: true }));

  it("records the outcome and counters once; a redelivery after success is 'already done'", async () => {
    const batch = randomUUID();
    const manifest = await putManifest(lake, subjects());
    const dirty = key();
    const clean = key();
    const firstId = await putLakeObject(lake, dirty, lakeBytes(lake, 1));
    await putLakeObject(lake, clean, lakeBytes(lake, 2, 60, lake.customers.slice(10)));
    // Index entries as the indexer writes them: two subjects of the dirty version, one of the clean object.
    const indexedVersionLocation = (k: string, versionId: string) =>
      indexSortKey(lake.mapper.name, lake.bucket, k, versionId);
    const entries = [
      { pk: "subject-a", sk: indexedVersionLocation(dirty, firstId) },
      { pk: "subject-b", sk: indexedVersionLocation(dirty, firstId) },
      { pk: "subject-c", sk: indexedVersionLocation(clean, "v1") },
    ];
    for (const Item of entries) await doc.send(new PutCommand({ TableName: indexTable, Item }));

    const first = await forgetObject(purgeMessage(lake, batch, dirty, manifest), deps);
    expect(first.outcome).to.equal("purged");
    if (first.outcome !== "purged") return;
    expect(first.indexEntriesRemoved).to.equal(2);
    const second = await forgetObject(purgeMessage(lake, batch, clean, manifest), deps);
    expect(second.outcome).to.equal("nothing-to-do");
    const versionsAfter = await downloadVersions(lake, dirty);
    const again = await forgetObject(JSON.stringify(purgeMessage(lake, batch, dirty, manifest)), deps);
    expect(again.outcome).to.equal("already-done");
    expect((await downloadVersions(lake, dirty)).map((v) => v.versionId)).to.deep.equal(
      versionsAfter.map((v) => v.versionId),
    );

    const summary = await ledger.summary(batch);
    expect(summary).to.deep.include({
      objectsPurged: 1,
      objectsNothingToDo: 1,
      objectsFailed: 0,
      rowsRemoved: first.report.rowsRemoved,
      versionsDeleted: 1,
      bytesIn: first.report.bytesIn,
      bytesOut: first.report.bytesOut,
    });
    const entry = await ledger.get({ batchId: batch, round: 0, bucket: lake.bucket, key: dirty });
    expect(entry).to.deep.include({
      outcome: "purged",
      fencingToken: first.report.fencingToken,
      versionsDeleted: [firstId],
    });
    const left = await doc.send(
      new QueryCommand({
        TableName: indexTable,
        IndexName: "byLocation",
        KeyConditionExpression: "sk = :l",
        ExpressionAttributeValues: { ":l": indexedVersionLocation(clean, "v1") },
      }),
    );
    expect(left.Items).to.have.length(1);
  });

  it("records bad input as the object's failure on its batch, once", async () => {
    const batch = randomUUID();
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 3));
    const bad = { ...purgeMessage(lake, batch, k, await putManifest(lake, subjects())), mapper: "orders" };
    const first = await forgetObject(bad, deps);
    expect(first.outcome).to.equal("failed");
    if (first.outcome === "failed") expect(first.error.kind).to.equal("unknown-mapper");
    await forgetObject(bad, deps);
    expect((await ledger.summary(batch)).objectsFailed).to.equal(1);
    const entry = await ledger.get({ batchId: batch, round: 0, bucket: lake.bucket, key: k });
    expect(entry).to.deep.include({ outcome: "failed", failureKind: "unknown-mapper" });
    expect(entry!.reason).to.match(/unknown data mapper "orders"/);
    expect(await downloadVersions(lake, k)).to.have.length(1);
  });

  it("acknowledges a cancelled batch's message without touching the object", async () => {
    const batch = randomUUID();
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 4));
    await ledger.cancel(batch);
    const out = await forgetObject(purgeMessage(lake, batch, k, await putManifest(lake, subjects())), deps);
    expect(out.outcome).to.equal("cancelled");
    expect(await downloadVersions(lake, k)).to.have.length(1);
    expect(await ledger.get({ batchId: batch, round: 0, bucket: lake.bucket, key: k })).to.equal(undefined);
  });

  it("answers 'retry' and counts a conflict when another purge holds the object's lock", async () => {
    const batch = randomUUID();
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 5));
    const holder = lakeMutex(lake, "holder");
    const lock = (await holder.acquireLock(objectLockKey(lake.bucket, k)))!;
    try {
      const out = await forgetObject(purgeMessage(lake, batch, k, await putManifest(lake, subjects())), {
        ...deps,
        remainingTimeMs: () => 1500,
        workReserveMs: 1000,
      });
      expect(out.outcome).to.equal("retry");
      if (out.outcome === "retry") expect(out.error.kind).to.equal("lock-busy");
    } finally {
      await holder.releaseLock(lock);
    }
    expect((await ledger.summary(batch)).conflictsRetried).to.equal(1);
    const entry = await ledger.get({ batchId: batch, round: 0, bucket: lake.bucket, key: k });
    expect(entry).to.deep.include({ outcome: "conflict-retried", failureKind: "lock-busy" });
    const done = await forgetObject(purgeMessage(lake, batch, k, await putManifest(lake, subjects())), deps);
    expect(done.outcome).to.equal("purged");
    expect(await ledger.summary(batch)).to.deep.include({ objectsPurged: 1, conflictsRetried: 1 });
  });
});
