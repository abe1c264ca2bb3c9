// The store task handlers as the state machine (or a console user) calls them: the manifest read from
// S3, the store called, a reply of counts, and on failure one alert to the owner on the SNS topic
// (received here through an SQS subscription) naming what to do by hand and no subject's ID.
import { expect } from "chai";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { Client } from "pg";
import {
  makeS3Client,
  makeSecretsManagerClient,
  makeSnsClient,
  makeSqsClient,
} from "../../runtime/aws/clients";
import { envNames } from "../../runtime/contracts/env";
import { UsageError } from "../../runtime/contracts/errors";
import { StoreConfig } from "../../runtime/contracts/stores";
import { createStoresPostgresHandler } from "../../runtime/handlers/storesPostgres";
import { createStoresSubsystemHandler } from "../../runtime/handlers/storesSubsystem";
import { createStoresDynamodbHandler } from "../../runtime/handlers/storesDynamodb";
import {
  connectLocalPostgres,
  localPostgresSecret,
  putSecret,
  scratchSchema,
} from "../../local/fixtures/storeFixtures";
import { startSubsystemDouble, SubsystemDouble } from "../support/subsystemDouble";

describe("stores: task handlers", () => {
  const s3 = makeS3Client();
  const sns = makeSnsClient();
  const sqs = makeSqsClient();
  const sm = makeSecretsManagerClient();
  const run = Date.now().toString(36);
  const bucket = `lethe-test-stores-${run}`;
  const subjects = ["customer-918273", "customer-564738"];
  const manifest = { bucket, key: "erasure-manifests/batch_id=b1/manifest.jsonl" };
  let topicArn: string;
  let queueUrl: string;
  let signingSecret: string;
  let doubles: SubsystemDouble[] = [];

  before(async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: manifest.key,
        Body: subjects.map((id) => JSON.stringify({ id: [id] })).join("\n") + "\n",
      }),
    );
    topicArn = (await sns.send(new CreateTopicCommand({ Name: `lethe-test-alerts-${run}` }))).TopicArn!;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `lethe-test-alerts-${run}` }))).QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))
    ).Attributes!.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn }));
    signingSecret = await putSecret(sm, `lethe-test/handler-signing-${run}`, "handler-key");
  });
  afterEach(async () => {
    await Promise.all(doubles.map((d) => d.close()));
    doubles = [];
  });

  const env = (store: StoreConfig) => ({
    [envNames.store]: JSON.stringify(store),
    [envNames.alertTopicArn]: topicArn,
  });
  const alerts = async (): Promise<{ text: string; attributes: Record<string, string> }[]> => {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    return (out.Messages ?? []).map((m) => {
      const body = JSON.parse(m.Body!) as {
        Message: string;
        MessageAttributes?: Record<string, { Value: string }>;
      };
      return {
        text: body.Message,
        attributes: Object.fromEntries(
          Object.entries(body.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
        ),
      };
    });
  };
  const subsystem = (url: string, mode: "sync" | "async"): StoreConfig => ({
    name: "crm",
    kind: "subsystem",
    owner: "crm-team@example.com",
    url,
    mode,
    signingSecret,
  });
  const event = (action: string, extra: object = {}) => ({
    batchId: "b1",
    requestId: "r1",
    action,
    manifest,
    store: "crm",
    ...extra,
  });

  it("an async subsystem: submit, poll until done; nextAction says what to call after each Wait", async () => {
    const d = await startSubsystemDouble({ behaviour: "async", secret: "handler-key", pollsUntilDone: 2 });
    doubles.push(d);
    const handler = createStoresSubsystemHandler(env(subsystem(d.url, "async")), { allowLoopbackHttp: true });
    const submitted = await handler(event("submit"));
    expect(submitted).to.include({ status: "PENDING", nextAction: "poll", subjects: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await handler(event("poll"))).status);
    expect(statuses).to.deep.equal(["PENDING", "PENDING", "COMPLETED"]);
    expect(await alerts()).to.deep.equal([]);
  });

  it("a failing subsystem: NEEDS_ATTENTION, its owner alerted once with what to do by hand, no ID anywhere", async () => {
    const d = await startSubsystemDouble({ behaviour: "failing", secret: "handler-key" });
    doubles.push(d);
    const handler = createStoresSubsystemHandler(env(subsystem(d.url, "sync")), { allowLoopbackHttp: true });
    const reply = await handler(event("submit"));
    expect(reply).to.include({ status: "NEEDS_ATTENTION", alerted: true, subjects: 2 });
    expect(reply.reason).to.equal("answered failed (HTTP 422): the test double always fails");
    const got = await alerts();
    expect(got).to.have.length(1);
    expect(got[0].attributes).to.deep.equal({
      store: "crm",
      owner: "crm-team@example.com",
      kind: "subsystem",
      batchId: "b1",
    });
    expect(got[0].text).to.include("Owner: crm-team@example.com");
    expect(got[0].text).to.include("What to do by hand:");
    expect(got[0].text).to.include(`s3://${bucket}/${manifest.key}`);
    for (const id of subjects) {
      expect(got[0].text).to.not.include(id);
      expect(JSON.stringify(reply)).to.not.include(id);
    }
  });

  describe("PostgreSQL", () => {
    let db: Client;
    let schema: { name: string; drop(): Promise<void> };
    let connectionSecret: string;
    const pgStore = (idColumn = "customer_id"): StoreConfig => ({
      name: "crm",
      kind: "postgres",
      owner: "accounts-team@example.com",
      connectionSecret,
      ssl: false,
      tables: [{ table: `${schema.name}.accounts`, idColumn }],
    });
    before(async () => {
      db = await connectLocalPostgres();
      connectionSecret = await putSecret(sm, `lethe-test/handler-pg-${run}`, localPostgresSecret());
    });
    beforeEach(async () => {
      schema = await scratchSchema(db);
      await db.query(`CREATE TABLE "${schema.name}".accounts (customer_id text, plan text)`);
      await db.query(
        `INSERT INTO "${schema.name}".accounts VALUES ($1, 'a'), ($2, 'b'), ('customer-1', 'c')`,
        subjects,
      );
    });
    afterEach(async () => schema.drop());
    after(async () => db.end());

    it("find, erase and verify reply with counts", async () => {
      const handler = createStoresPostgresHandler(env(pgStore()));
      expect(await handler(event("find"))).to.include({ status: "OK", count: 2, subjects: 2 });
      expect(await handler(event("erase", { fencingToken: 5 }))).to.include({ status: "OK", deleted: 2 });
      expect(await handler(event("verify"))).to.include({ status: "COMPLETED", remaining: 0 });
      expect(await alerts()).to.deep.equal([]);
    });

    it("verify with rows left, and a missing column: NEEDS_ATTENTION and one alert each, nothing erased", async () => {
      const handler = createStoresPostgresHandler(env(pgStore()));
      expect(await handler(event("verify"))).to.include({
        status: "NEEDS_ATTENTION",
        remaining: 2,
        alerted: true,
      });
      const broken = createStoresPostgresHandler(env(pgStore("customer_no")));
      const reply = await broken(event("erase"));
      expect(reply.status).to.equal("NEEDS_ATTENTION");
      expect(reply.reason).to.equal(`table ${schema.name}.accounts has no column customer_no`);
      const got = await alerts();
      expect(got.map((a) => a.attributes.kind)).to.deep.equal(["postgres", "postgres"]);
      expect(got[1].text).to.include("Nothing was erased: the batch's transaction was rolled back.");
      expect(
        Number((await db.query(`SELECT count(*) AS n FROM "${schema.name}".accounts`)).rows[0].n),
      ).to.equal(3);
    });
  });

  it("a DynamoDB table that does not exist: NEEDS_ATTENTION with the table named", async () => {
    const handler = createStoresDynamodbHandler(
      env({
        name: "crm",
        kind: "dynamodb",
        owner: "p@example.com",
        table: `lethe-test-none-${run}`,
        idAttribute: "customer_id",
      }),
    );
    const reply = await handler(event("erase"));
    expect(reply).to.include({ status: "NEEDS_ATTENTION", alerted: true });
    expect(reply.reason).to.equal(
      `DynamoDB table lethe-test-none-${run} does not exist (or this function may not query it)`,
    );
    expect(await alerts()).to.have.length(1);
  });

  it("a bad event is the caller's error, naming the field; a bad environment stops the cold start", async () => {
    const handler = createStoresSubsystemHandler(env(subsystem("https://crm.example.com", "sync")));
    const bad = async (e: unknown) => handler(e).catch((error: unknown) => error);
    expect(await bad(event("find"))).to.be.instanceOf(UsageError);
    expect(((await bad(event("find"))) as Error).message).to.equal(
      'store "crm": bad event: action must be one of submit, poll, erase, verify for a subsystem store, got "find"',
    );
    expect(((await bad({ ...event("submit"), store: "billing" })) as Error).message).to.match(
      /store must be "crm"/,
    );
    expect(((await bad({ ...event("submit"), manifest: {} })) as Error).message).to.match(/manifest must be/);
    expect(() => createStoresSubsystemHandler(env(subsystem("http://crm.example.com", "sync")))).to.throw(
      /must be an https:\/\/ URL/,
    );
    expect(() => createStoresPostgresHandler(env(subsystem("https://crm.example.com", "sync")))).to.throw(
      "LETHE_STORE names a subsystem store; this function serves postgres stores",
    );
  });
});
