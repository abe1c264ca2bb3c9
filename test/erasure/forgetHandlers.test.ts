// The purge and errors handlers against moto: an SQS batch where good, poison and bad messages sit side
// by side (only the good object is touched, nothing fails its neighbours), refusals filed in the errors
// table with one SNS alert each (observed through an SQS queue subscribed to the topic), busy locks
// requeued with a delay instead of spending deliveries, and the console event's readable report.
import { expect } from "chai";
import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { makeDocumentClient, makeSqsClient } from "../../runtime/aws/clients";
import { pollQueue } from "../../local/queuePoller";
import { ForgetLedger, objectLockKey } from "../../runtime/erasure/forget";
import { createPurgeHandler } from "../../runtime/handlers/purge";
import { createErrorsHandler } from "../../runtime/handlers/errors";
import {
  HandlerStack,
  TestLake,
  context,
  createTestLake,
  drain,
  handlerStack,
  sqsRecord,
  downloadVersions,
  lakeBytes,
  lakeMutex,
  purgeMessage,
  putLakeObject,
  putManifest,
  survivingSubjects,
} from "./forgetFixtures";

describe("forget: the purge and errors handlers (moto)", () => {
  let lake: TestLake;
  let h: HandlerStack;
  const doc = makeDocumentClient();
  const key = () => `events/dt=2026-11-30/${randomUUID()}.parquet`;

  const quiet = { POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" };
  before(async () => {
    Object.assign(process.env, quiet);
    lake = await createTestLake();
    h = await handlerStack(lake);
  });
  after(() => {
    for (const name of Object.keys(quiet)) delete process.env[name];
    fs.rmSync(lake.dir, { recursive: true, force: true });
  });

  it("purges the good object of a batch, files the poison and bad ones once each with one alert", async () => {
    const purge = createPurgeHandler(h.env);
    const errors = createErrorsHandler(h.env);
    const batch = randomUUID();
    const subjects = lake.customers.slice(0, 3);
    const manifest = await putManifest(lake, subjects);
    const good = key();
    const poison = key();
    const huge = key();
    await putLakeObject(lake, good, lakeBytes(lake, 1));
    await lake.s3.send(
      new PutObjectCommand({ Bucket: lake.bucket, Key: poison, Body: "PAR1 but not really" }),
    );
    await lake.s3.send(
      new PutObjectCommand({ Bucket: lake.bucket, Key: huge, Body: Buffer.alloc(1024 * 1024 + 1, 1) }),
    );
    const bodies = [
      JSON.stringify(purgeMessage(lake, batch, good, manifest)),
      JSON.stringify(purgeMessage(lake, batch, poison, manifest)),
      JSON.stringify(purgeMessage(lake, batch, huge, manifest)),
      JSON.stringify({ ...purgeMessage(lake, batch, key(), manifest), mapper: "orders" }),
      "this is not JSON",
    ];
    const reply = await purge({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) }, context);
    expect(reply).to.deep.equal({ batchItemFailures: [] });
    expect(await survivingSubjects(lake, [good], subjects)).to.deep.equal({});
    expect(await downloadVersions(lake, poison)).to.have.length(1);
    expect(await downloadVersions(lake, huge)).to.have.length(1);

    const dead = await drain(h.stack.purgeDeadLetterQueueUrl, 4);
    expect(dead).to.have.length(4);
    const records = dead.map(sqsRecord);
    expect(await errors({ Records: records })).to.deep.equal({ batchItemFailures: [] });
    expect(await errors({ Records: records })).to.deep.equal({ batchItemFailures: [] }); // redelivered: no new alert

    const filed = await doc.send(
      new QueryCommand({
        TableName: h.stack.errorsTable,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `batch#${batch}` },
      }),
    );
    const byKey = Object.fromEntries((filed.Items ?? []).map((i) => [i.key, i]));
    expect(Object.keys(byKey)).to.have.length(3);
    expect(byKey[poison].kind).to.equal("engine-refused");
    expect(byKey[huge].kind).to.equal("engine-refused");
    // Larger than the size bound, but Parquet is never refused for its size: refused for what it is.
    expect(byKey[huge].reason).not.to.match(/more than this function can purge/);
    expect(byKey[huge].reason).to.match(/Parquet/);
    expect(Object.values(byKey).map((i) => (i as { kind: string }).kind)).to.include("unknown-mapper");
    for (const item of filed.Items ?? [])
      for (const s of subjects) expect(JSON.stringify(item)).not.to.include(s);

    const alerts = await drain(h.alertQueueUrl, 4);
    expect(alerts).to.have.length(4); // three objects of the batch and the message that was not JSON
    const texts = alerts.map((a) => JSON.parse(a.Body!).Message as string);
    expect(texts.filter((t) => t.includes(poison))).to.have.length(1);

    const summary = await new ForgetLedger(doc, h.stack.ledgerTable).summary(batch);
    expect(summary).to.deep.include({ objectsPurged: 1, objectsFailed: 3 });
  });

  it("requeues a message whose object is locked, with a delay and a requeue count, not as a failed delivery", async () => {
    const purge = createPurgeHandler(h.env);
    const batch = randomUUID();
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 2));
    const body = JSON.stringify(
      purgeMessage(lake, batch, k, await putManifest(lake, lake.customers.slice(0, 2))),
    );
    const holder = lakeMutex(lake, "holder");
    const lock = (await holder.acquireLock(objectLockKey(lake.bucket, k)))!;
    const started = Date.now();
    const reply = await purge({ Records: [{ messageId: "busy", body }] }, context);
    await holder.releaseLock(lock);
    expect(reply).to.deep.equal({ batchItemFailures: [] });
    const [requeued] = await drain(h.stack.purgeQueueUrl, 1, 5);
    expect(Date.now() - started).to.be.greaterThanOrEqual(2000);
    expect(requeued.Body).to.equal(body);
    expect(requeued.MessageAttributes?.["lethe-requeues"]?.StringValue).to.equal("1");
    const second = await purge({ Records: [sqsRecord(requeued)] }, context);
    expect(second).to.deep.equal({ batchItemFailures: [] });
    expect(await survivingSubjects(lake, [k], lake.customers.slice(0, 2))).to.deep.equal({});
  });

  it("sends an object that keeps failing through the queue's redrive to the errors table, with one alert", async () => {
    // Every attempt crashes before its write: the batch item fails, SQS redelivers it until
    // maxReceiveCount (5 in the provisioned queue) and then moves it to the dead-letter queue.
    const crash = () => Promise.reject(new Error("injected: the write never happens"));
    const purge = createPurgeHandler(h.env, { hooks: { beforeWrite: crash } });
    const errors = createErrorsHandler(h.env);
    const batch = randomUUID();
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 4));
    const sqs = makeSqsClient();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: h.stack.purgeQueueUrl,
        MessageBody: JSON.stringify(
          purgeMessage(lake, batch, k, await putManifest(lake, lake.customers.slice(0, 2))),
        ),
      }),
    );
    const purged = await pollQueue(sqs, h.stack.purgeQueueUrl, purge, {
      visibilityTimeoutSeconds: 1,
      idleReceives: 4,
    });
    expect(purged.failures).to.equal(5);
    const filed = await pollQueue(sqs, h.stack.purgeDeadLetterQueueUrl, errors, { batchSize: 10 });
    expect(filed.messages).to.equal(1);
    const item = await doc.send(
      new QueryCommand({
        TableName: h.stack.errorsTable,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `batch#${batch}` },
      }),
    );
    expect(item.Items).to.have.length(1);
    expect(item.Items![0]).to.include({ kind: "retries-exhausted", key: k });
    expect(item.Items![0].receiveCount).to.be.at.least(5);
    const alerts = (await drain(h.alertQueueUrl, 1)).filter((a) =>
      (JSON.parse(a.Body!).Message as string).includes(k),
    );
    expect(alerts).to.have.length(1);
    expect(await downloadVersions(lake, k)).to.have.length(1);
    expect((await new ForgetLedger(doc, h.stack.ledgerTable).summary(batch)).objectsFailed).to.equal(1);
  });

  it("answers a console event with a readable report, and 'already done' the second time", async () => {
    const purge = createPurgeHandler(h.env);
    const k = key();
    await putLakeObject(lake, k, lakeBytes(lake, 3));
    const message = purgeMessage(lake, randomUUID(), k, await putManifest(lake, lake.customers.slice(0, 2)));
    const first = await purge(message, context);
    expect(first).to.include({ outcome: "purged", object: `s3://${lake.bucket}/${k}` });
    expect((first as { message: string }).message).to.match(
      /row\(s\) removed, 1 version\(s\) written, 1 version\(s\) deleted/,
    );
    const again = await purge(message, context);
    expect(again).to.include({ outcome: "already-done" });
    expect((again as { message: string }).message).to.match(/already done/);
  });
});
