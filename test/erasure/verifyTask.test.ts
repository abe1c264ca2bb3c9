// The verify task against the emulator: it reads every version of every object holding a subject (a
// noncurrent pre-versioning null version too), while another batch's purge may delete versions of the
// same objects under it.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { envNames } from "../../runtime/contracts/env";
import type { LocalStack } from "../../runtime/contracts/stack";
import { moveBatch, recordStep } from "../../runtime/erasure/batches";
import { listKeyVersions } from "../../runtime/purge/s3Objects";
import { handleObjectEvent, objectEvents } from "../../runtime/erasure/metastore/indexer";
import { indexHasherFromEnv } from "../../runtime/erasure/metastore/indexHasher";
import { readPlan } from "../../runtime/erasure/plan";
import { parseVerifyInput, verifyBatch } from "../../runtime/erasure/workflow/tasks/verify";
import { findingDepsFromEnv } from "../../runtime/handlers/workflowDeps";
import { stackEnvironment } from "../../local/erasure/environment";
import { sharedLocalStack } from "../support/localStack";
import {
  idsInFiles,
  LakeObject,
  makeBatch,
  putNullVersion,
  pyarrowFiles,
  tablesOf,
  tempDir,
  writeLake,
} from "./workflowFixtures";

describe("erasure workflow: the verify task", function () {
  this.timeout(300_000);
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  let stack: LocalStack;
  let dir: string;
  let lake: LakeObject[];

  before(async () => {
    stack = await sharedLocalStack();
    dir = tempDir();
    lake = await writeLake(s3, stack.lakeBucket, dir, {
      days: [new Date().toISOString().slice(0, 10)],
      perDay: 2,
      rows: 50,
      customers: 400,
      seed: 11,
      prefix: `verify-${Date.now()}`,
    });
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it("passes over a version deleted between its listing and its read, and checks the rest", async () => {
    const [held, other] = lake;
    const ids = [...held.ids].filter((id) => !other.ids.has(id)).slice(0, 3);
    expect(ids).to.have.length(3);
    // A second version of the object, holding the subjects as the first does.
    await s3.send(
      new PutObjectCommand({ Bucket: stack.lakeBucket, Key: held.key, Body: fs.readFileSync(held.file) }),
    );
    const versions = await listKeyVersions(s3, stack.lakeBucket, held.key);
    expect(versions.all).to.have.length(2);
    const older = versions.all.find((v) => v !== versions.latest)!.versionId;

    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    await moveBatch(tablesOf(stack, doc), batch.batchId, "FINDING");
    await moveBatch(tablesOf(stack, doc), batch.batchId, "FORGETTING");
    const deps = await findingDepsFromEnv({
      ...stackEnvironment(stack),
      [envNames.findEngine]: "embedded",
      [envNames.findCacheDir]: path.join(dir, "find-cache"),
    })();
    const reply = await verifyBatch(
      { ...deps, s3: deletingBeforeRead(stack.lakeBucket, held.key, older) },
      parseVerifyInput({ batchId: batch.batchId, round: 0, maxRounds: 3 }),
    );
    expect(
      (await listKeyVersions(s3, stack.lakeBucket, held.key)).all,
      "the older version deleted",
    ).to.have.length(1);
    expect(reply).to.include({ hits: 1, objectsChecked: 1, versionsChecked: 1, retry: true });
    expect(reply.remainingRows).to.be.greaterThan(0);
    // Where the rows are left: the data mapper, by name, in the reply and its message.
    const mapper = stack.dataMappers[0].name;
    expect(reply.hitsByMapper).to.deep.equal({ [mapper]: 1 });
    expect(reply.message).to.include(`(data mapper ${mapper}: 1)`);
  });

  it("re-finds a late object written into yesterday's partition after find began, and a copy into an old one", async () => {
    const [held, other] = lake;
    const ids = [...held.ids].filter((id) => !other.ids.has(id)).slice(3, 6);
    expect(ids).to.have.length(3);
    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids);
    await moveBatch(tablesOf(stack, doc), batch.batchId, "FINDING");
    await recordStep(tablesOf(stack, doc), batch.batchId, "find", { startedAt: new Date().toISOString() });
    await moveBatch(tablesOf(stack, doc), batch.batchId, "FORGETTING");
    // After find: a Firehose buffer that straddled midnight lands in yesterday's partition, and a
    // writer copies an object holding the subjects into a partition a week old.
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const late = `events/dt=${day(1)}/late-${Date.now()}.parquet`;
    const copy = `events/dt=${day(7)}/copy-${Date.now()}.parquet`;
    await s3.send(
      new PutObjectCommand({ Bucket: stack.lakeBucket, Key: late, Body: fs.readFileSync(held.file) }),
    );
    await s3.send(
      new CopyObjectCommand({
        Bucket: stack.lakeBucket,
        Key: copy,
        CopySource: `${stack.lakeBucket}/${held.key}`,
      }),
    );
    const deps = await findingDepsFromEnv({
      ...stackEnvironment(stack),
      [envNames.findEngine]: "embedded",
      [envNames.findCacheDir]: path.join(dir, "find-cache"),
    })();
    const reply = await verifyBatch(
      deps,
      parseVerifyInput({ batchId: batch.batchId, round: 0, maxRounds: 3 }),
    );
    expect(reply.retry).to.equal(true);
    const next = await readPlan(s3, reply.plan!.location);
    const keys = next.mappers.flatMap((m) => m.objects.map((o) => o.key));
    expect(keys).to.include.members([late, copy]);
  });

  it("reads a noncurrent pre-versioning null version the indexer indexed, and sends its rows back to forget", async () => {
    const [nullBytes, current] = pyarrowFiles(dir, {
      days: [new Date().toISOString().slice(0, 10)],
      perDay: 2,
      rows: 50,
      // Customers of their own (other lakes of the shared stack hold c000000..c019999).
      firstCustomer: 100_000,
      customers: 900_000,
      seed: 27,
      prefix: `verify-null-${Date.now()}`,
    });
    const held = idsInFiles([nullBytes.file, current.file]);
    const ids = held[nullBytes.file].filter((id) => !held[current.file].includes(id));
    const key = `events/dt=${nullBytes.day}/${nullBytes.name}`;
    await putNullVersion(s3, stack.lakeBucket, key, fs.readFileSync(nullBytes.file));
    await s3.send(
      new PutObjectCommand({ Bucket: stack.lakeBucket, Key: key, Body: fs.readFileSync(current.file) }),
    );
    // The indexer's event for the null version, delivered after the overwrite.
    const env = { ...stackEnvironment(stack), [envNames.findEngine]: "embedded" };
    const indexer = {
      s3,
      doc,
      indexTable: stack.indexTable,
      mappers: stack.dataMappers,
      hashSubject: await indexHasherFromEnv(env),
    };
    const [event] = objectEvents({
      Records: [
        {
          eventName: "ObjectCreated:Put",
          s3: { bucket: { name: stack.lakeBucket }, object: { key, versionId: "null" } },
        },
      ],
    });
    expect(await handleObjectEvent(indexer, event)).to.include({ action: "indexed", versionId: "null" });

    const batch = await makeBatch(stack, s3, tablesOf(stack, doc), ids.slice(0, 3));
    await moveBatch(tablesOf(stack, doc), batch.batchId, "FINDING");
    await moveBatch(tablesOf(stack, doc), batch.batchId, "FORGETTING");
    const deps = await findingDepsFromEnv({
      ...env,
      [envNames.findCacheDir]: path.join(dir, "find-cache"),
    })();
    const reply = await verifyBatch(
      deps,
      parseVerifyInput({ batchId: batch.batchId, round: 0, maxRounds: 3 }),
    );
    expect(reply).to.include({ hits: 1, objectsChecked: 1, versionsChecked: 2, retry: true });
    const next = await readPlan(s3, reply.plan!.location);
    expect(next.mappers.flatMap((m) => m.objects)).to.deep.equal([
      {
        bucket: stack.lakeBucket,
        key,
        current: false,
        versionIds: ["null"],
        expectedRows: reply.remainingRows,
      },
    ]);
  });
});

/** An S3 client that deletes `versionId` of `key` just before its first read of that version. */
function deletingBeforeRead(bucket: string, key: string, versionId: string): S3Client {
  const client = makeS3Client();
  const deleter = makeS3Client();
  let deleted = false;
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Key?: string; VersionId?: string };
      if (!deleted && input.Key === key && input.VersionId === versionId) {
        deleted = true;
        await deleter.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
      }
      return next(args);
    },
    { step: "initialize", name: "deleteBeforeRead" },
  );
  return client;
}
