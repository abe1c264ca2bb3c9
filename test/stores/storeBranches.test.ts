// The erasure definition's store branches, run in the local interpreter with the real store handlers:
// a DynamoDB profile table reached through a GSI (moto), a parent and a child table in the machine's
// PostgreSQL, and subsystem HTTP doubles (sync; async, done after a few polls), and the real
// needsAttention task. The lake branch's tasks (and find, report) are test-only stand-ins: these
// tests are about the stores' branches, the lake's tasks have their own. Failures: a subsystem that always fails, one
// that never finishes before a shortened deadline, a PostgreSQL statement timeout, a DynamoDB
// throttle, a store function that crashes: each alerts its owner once, the batch ends
// NEEDS_ATTENTION with the reasons, and the other stores still complete.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DeleteItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { Client } from "pg";
import {
  makeDocumentClient,
  makeDynamoDbClient,
  makeS3Client,
  makeSecretsManagerClient,
  makeSnsClient,
  makeSqsClient,
} from "../../runtime/aws/clients";
import { envNames } from "../../runtime/contracts/env";
import { DynamoDbStoreConfig, StoreConfig } from "../../runtime/contracts/stores";
import { BatchTables, createBatch, getBatch } from "../../runtime/erasure/batches";
import { manifestKey } from "../../runtime/erasure/manifest";
import { workflowDefinition, workflowTasks, WorkflowStore } from "../../runtime/erasure/workflow/definition";
import { createNeedsAttentionHandler } from "../../runtime/handlers/needsAttention";
import { createStoresDynamodbHandler } from "../../runtime/handlers/storesDynamodb";
import { createStoresPostgresHandler } from "../../runtime/handlers/storesPostgres";
import { createStoresSubsystemHandler } from "../../runtime/handlers/storesSubsystem";
import { dynamoDbStore, DynamoDbSender } from "../../runtime/stores/dynamodb";
import { createStoreHandler } from "../../runtime/stores/storeHandler";
import { createTableLike } from "../../local/stack/copies";
import { erasureEnvironment } from "../../runtime/erasure/settings";
import { localStoreTaskHandlers } from "../../local/erasure/storeTasks";
import { startLocalExecution } from "../../local/erasure/workflow";
import {
  connectLocalPostgres,
  createCustomerTables,
  createIndexedProfileTable,
  localPostgresSecret,
  putSecret,
  scratchSchema,
  seedCustomer,
} from "../../local/fixtures/storeFixtures";
import { DoubleBehaviour, startSubsystemDouble, SubsystemDouble } from "../support/subsystemDouble";

type Handler = (input: unknown) => Promise<unknown>;

describe("stores: the state machine's store branches, run locally", function () {
  this.timeout(120_000);
  const s3 = makeS3Client();
  const ddb = makeDynamoDbClient();
  const sns = makeSnsClient();
  const sqs = makeSqsClient();
  const sm = makeSecretsManagerClient();
  const run = randomUUID().slice(0, 8);
  const bucket = `lethe-test-branches-${run}`;
  const profileTable = `lethe-test-branch-profiles-${run}`;
  const signingKey = "branch-signing-key";
  let tables: BatchTables;
  let auditTable: string;
  let topicArn: string;
  let queueUrl: string;
  let connectionSecret: string;
  let signingSecret: string;
  let db: Client;
  let schema: { name: string; drop(): Promise<void> };
  let doubles: SubsystemDouble[] = [];

  before(async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
      }),
    );
    tables = {
      doc: makeDocumentClient(),
      ledgerTable: await createTableLike("ledger", `lethe-test-branch-ledger-${run}`),
      requestsTable: await createTableLike("requests", `lethe-test-branch-requests-${run}`),
    };
    auditTable = await createTableLike("audit", `lethe-test-branch-audit-${run}`);
    await createIndexedProfileTable(ddb, profileTable);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: `lethe-test-branch-alerts-${run}` })))
      .TopicArn!;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `lethe-test-branch-alerts-${run}` })))
      .QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))
    ).Attributes!.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn }));
    connectionSecret = await putSecret(sm, `lethe-test/branch-pg-${run}`, localPostgresSecret());
    signingSecret = await putSecret(sm, `lethe-test/branch-signing-${run}`, signingKey);
    db = await connectLocalPostgres();
    schema = await scratchSchema(db);
    await createCustomerTables(db, schema.name);
  });
  afterEach(async () => {
    await Promise.all(doubles.map((d) => d.close()));
    doubles = [];
  });
  after(async () => {
    await schema.drop();
    await db.end();
  });

  /** A batch of three subjects (plus a customer who is not in it, in every store), its manifest and record. */
  async function newBatch(
    deadline: string,
  ): Promise<{ batchId: string; subjects: string[]; keeper: string }> {
    const batchId = `b-${randomUUID().slice(0, 8)}`;
    const subjects = [1, 2, 3].map((i) => `cust-${batchId}-${i}`);
    const keeper = `cust-${batchId}-keep`;
    const key = manifestKey(batchId);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: subjects.map((id) => JSON.stringify({ id: [id] })).join("\n") + "\n",
      }),
    );
    await createBatch(tables, {
      batchId,
      requestIds: [],
      subjectCount: subjects.length,
      manifest: { bucket, key },
      deadline,
      createdAt: new Date().toISOString(),
    });
    for (const [i, c] of [...subjects, keeper].entries())
      await seedCustomer({ ddb, profileTable, db, schema: schema.name }, c, 1 + (i % 2));
    return { batchId, subjects, keeper };
  }

  const profiles: DynamoDbStoreConfig = {
    name: "profiles",
    kind: "dynamodb",
    owner: "profiles-team@example.com",
    table: profileTable,
    idAttribute: "customer_id",
    indexName: "by-customer",
    partitionKey: "profile_id",
  };
  const accounts = (statementTimeoutMs = 5000): StoreConfig => ({
    name: "accounts",
    kind: "postgres",
    owner: "accounts-team@example.com",
    connectionSecret,
    ssl: false,
    statementTimeoutMs,
    tables: [
      {
        table: `${schema.name}.customers`,
        idColumn: "id",
        children: [{ table: `${schema.name}.orders`, column: "customer_id", parentColumn: "id" }],
      },
    ],
  });
  async function subsystem(name: string, mode: "sync" | "async", behaviour: DoubleBehaviour) {
    const double = await startSubsystemDouble({ behaviour, secret: signingKey, pollsUntilDone: 3 });
    doubles.push(double);
    const config: StoreConfig = {
      name,
      kind: "subsystem",
      owner: `${name}-team@example.com`,
      url: double.url,
      mode,
      signingSecret,
    };
    return { config, double };
  }

  const env = (store: StoreConfig) => ({
    [envNames.store]: JSON.stringify(store),
    [envNames.alertTopicArn]: topicArn,
    [envNames.ledgerTable]: tables.ledgerTable,
  });
  /** The real handler of each store's function, as its function runs it. */
  const realHandler = (store: StoreConfig): Handler => {
    if (store.kind === "dynamodb") return createStoresDynamodbHandler(env(store));
    if (store.kind === "postgres") return createStoresPostgresHandler(env(store));
    // As a local run sets it for the packaged function: the double is plain HTTP on 127.0.0.1.
    return createStoresSubsystemHandler({ ...env(store), [envNames.subsystemAllowLoopbackHttp]: "true" });
  };
  /** The real DynamoDB store handler over a client whose DeleteItem calls fail as `fault` says (moto cannot throttle). */
  const faultyDynamoHandler = (store: DynamoDbStoreConfig, fault: () => Error): Handler => {
    const real = makeDynamoDbClient();
    const client: DynamoDbSender = {
      send: (async (command: object) => {
        if (command instanceof DeleteItemCommand) throw fault();
        return real.send(command as never);
      }) as DynamoDbSender["send"],
    };
    return createStoreHandler(env(store), store, {
      tableStore: dynamoDbStore(client, store, { throttleAttempts: 2, backoffBaseMs: 1 }),
    });
  };

  /** Test-only stand-ins for find, the lake branch's tasks and report (they have their own tests); the real needsAttention. */
  function laneStandIns(calls: { state: string; input: unknown }[]): Record<string, Handler> {
    const record =
      (state: string, answer: (input: unknown) => unknown | Promise<unknown>) => async (input: unknown) => {
        calls.push({ state, input });
        return answer(input);
      };
    return {
      Find: record("Find", () => ({ objects: 0 })),
      EnqueuePurges: record("EnqueuePurges", () => ({ enqueued: 0 })),
      PollLedger: record("PollLedger", () => ({ done: true, pastDeadline: false, failed: false })),
      Verify: record("Verify", () => ({ hits: 0 })),
      Report: record("Report", () => ({ reports: 1 })),
      AttentionReport: record("AttentionReport", () => ({ reports: 1 })),
      NeedsAttention: record(
        "NeedsAttention",
        createNeedsAttentionHandler({
          [envNames.ledgerTable]: tables.ledgerTable,
          [envNames.requestsTable]: tables.requestsTable,
          [envNames.alertTopicArn]: topicArn,
          // Every move of a request is audited (details over the item limit would go to the bucket).
          ...erasureEnvironment({
            deadlineDays: 30,
            requestRetentionDays: 365,
            errorRetentionDays: 90,
            auditRetentionDays: 2190,
            failedRequestIdGraceDays: 30,
          }),
          [envNames.auditTable]: auditTable,
          [envNames.auditBucket]: bucket,
          [envNames.kmsKeyArn]: "alias/aws/s3",
        }),
      ),
    };
  }

  async function runBatch(
    batchId: string,
    deadline: string,
    stores: { config: StoreConfig; handler?: Handler }[],
    waitSeconds: Record<string, number> = {},
  ) {
    const workflowStores: WorkflowStore[] = stores.map(({ config }) => ({
      name: config.name,
      kind: config.kind,
      functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:lethe-test-store-${config.name}`,
    }));
    const definition = workflowDefinition({
      functionArns: Object.fromEntries(
        workflowTasks.map((t) => [t, `arn:aws:lambda:eu-west-1:123456789012:function:lethe-test-${t}`]),
      ) as Parameters<typeof workflowDefinition>[0]["functionArns"],
      approvalRequired: false,
      drainSeconds: 600,
      ledgerPollSeconds: 30,
      maxVerifyRounds: 3,
      approvalTimeoutSeconds: 3600,
      taskTimeoutSeconds: 60,
      stores: workflowStores,
      storePollSeconds: 1,
      storeMaxPollSeconds: 2,
    });
    const calls: { state: string; input: unknown }[] = [];
    const byName = new Map(stores.map((s) => [s.config.name, s]));
    const handlers = {
      ...laneStandIns(calls),
      ...localStoreTaskHandlers(workflowStores, (ws) => {
        const s = byName.get(ws.name)!;
        return s.handler ?? realHandler(s.config);
      }),
    };
    const execution = startLocalExecution(
      { definition, handlers, waitSeconds: { WaitForLedger: 0, Drain: 0, ...waitSeconds } },
      { batchId, deadline },
    );
    // Every event of the run, nested branches' and Map items' too: the execution history's size.
    const counted = (async () => {
      let n = 0;
      for await (const _event of execution.events) n++;
      return n;
    })();
    const result = await execution.result.then(
      (out) => ({ ok: true as const, out: out as Record<string, unknown> }),
      (error: unknown) => ({ ok: false as const, error: error as { cause?: Error } }),
    );
    return { result, calls, events: await counted, batch: (await getBatch(tables, batchId))! };
  }

  /** Owner alerts on the topic for one batch, read off the subscribed queue (the operators' batch alert has no store). */
  async function alertsOf(batchId: string): Promise<{ text: string; store: string; owner: string }[]> {
    const out: { text: string; store: string; owner: string; batchId: string }[] = [];
    for (;;) {
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (!got.Messages?.length) break;
      for (const m of got.Messages) {
        const body = JSON.parse(m.Body!) as {
          Message: string;
          MessageAttributes?: Record<string, { Value: string }>;
        };
        const a = body.MessageAttributes ?? {};
        if (a.store)
          out.push({
            text: body.Message,
            store: a.store.Value,
            owner: a.owner.Value,
            batchId: a.batchId.Value,
          });
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    return out.filter((a) => a.batchId === batchId);
  }

  const profilesOf = async (customer: string): Promise<number> =>
    ((await ddb.send(new ScanCommand({ TableName: profileTable }))).Items ?? []).filter(
      (i) => i.customer_id?.S === customer,
    ).length;
  const rowsOf = async (customer: string): Promise<{ customers: number; orders: number }> => ({
    customers: Number(
      (await db.query(`SELECT count(*) AS n FROM "${schema.name}".customers WHERE id = $1`, [customer]))
        .rows[0].n,
    ),
    orders: Number(
      (await db.query(`SELECT count(*) AS n FROM "${schema.name}".orders WHERE customer_id = $1`, [customer]))
        .rows[0].n,
    ),
  });

  it("erases from the lake, a DynamoDB table through its GSI, a parent and child PostgreSQL table, a sync and an async subsystem; reports all", async () => {
    const deadline = new Date(Date.now() + 3600_000).toISOString();
    const { batchId, subjects, keeper } = await newBatch(deadline);
    const crm = await subsystem("crm", "sync", "sync");
    const archive = await subsystem("archive", "async", "async");
    const { result, calls, batch, events } = await runBatch(
      batchId,
      deadline,
      [{ config: profiles }, { config: accounts() }, { config: crm.config }, { config: archive.config }],
      { SubsystemStoreWait: 0 },
    );
    console.log(`      (execution history: ${events} events)`);
    expect(events).to.be.below(200);

    expect(result.ok, JSON.stringify(result)).to.equal(true);
    expect(calls.map((c) => c.state)).to.deep.equal([
      "Find",
      "EnqueuePurges",
      "PollLedger",
      "Verify",
      "Report",
    ]);
    const outcome = (result as unknown as { out: { outcome: Record<string, unknown> } }).out.outcome;
    expect(outcome).to.have.keys(["lake", "dynamodb", "postgres", "subsystem"]);
    expect(batch.storeOutcomes).to.deep.equal({
      // Subjects 1 and 3 have one profile each, subject 2 has two.
      profiles: { kind: "dynamodb", name: "profiles", outcome: "erased", rowsRemoved: 4 },
      // Three customers and their two orders each.
      accounts: { kind: "postgres", name: "accounts", outcome: "erased", rowsRemoved: 9 },
      crm: { kind: "subsystem", name: "crm", outcome: "erased", rowsRemoved: 3 },
      archive: { kind: "subsystem", name: "archive", outcome: "erased", rowsRemoved: 3 },
    });
    expect(batch.steps!["store:profiles"]).to.include.keys(["startedAt", "endedAt"]);
    expect(batch.steps!["store:profiles"].counts).to.deep.equal({
      subjects: 3,
      found: 4,
      deleted: 4,
      remaining: 0,
    });
    // Submitted once, then polled until the double's fourth answer said done.
    expect(batch.steps!["store:archive"].counts).to.deep.equal({ subjects: 3, polls: 4, erased: 3 });
    expect(archive.double.jobsCreated).to.equal(1);
    expect([...archive.double.jobs.values()][0]).to.deep.include({ subjects: 3, polls: 4 });
    expect(crm.double.jobsCreated).to.equal(1);

    for (const c of subjects) {
      expect(await profilesOf(c), c).to.equal(0);
      expect(await rowsOf(c), c).to.deep.equal({ customers: 0, orders: 0 });
    }
    expect(await profilesOf(keeper)).to.equal(2);
    expect(await rowsOf(keeper)).to.deep.equal({ customers: 1, orders: 2 });
    expect(await alertsOf(batchId)).to.deep.equal([]);
    const text = JSON.stringify({ result, batch });
    for (const c of subjects) expect(text).not.to.include(c);
  });

  it("a failing subsystem, one past the deadline, a PostgreSQL statement timeout, a DynamoDB throttle: each owner alerted once, NEEDS_ATTENTION with the reasons, the others complete", async () => {
    // Short enough that the never-finishing subsystem gives up within the test (polls at 1 s, 2 s...).
    const { batchId, subjects } = await newBatch(new Date(Date.now() + 3600_000).toISOString());
    const deadline = new Date(Date.now() + 5000).toISOString();
    const failing = await subsystem("crm", "sync", "failing");
    const never = await subsystem("archive", "async", "never");
    const healthy = await subsystem("billing", "sync", "sync");
    const blocker = await connectLocalPostgres();
    await blocker.query("BEGIN");
    await blocker.query(`LOCK TABLE "${schema.name}".customers IN ACCESS EXCLUSIVE MODE`);
    let outcome;
    try {
      outcome = await runBatch(batchId, deadline, [
        {
          config: profiles,
          handler: faultyDynamoHandler(profiles, () =>
            Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
              name: "ProvisionedThroughputExceededException",
            }),
          ),
        },
        { config: accounts(200) },
        { config: failing.config },
        { config: never.config },
        { config: healthy.config },
      ]);
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }
    const { result, calls, batch } = outcome;

    expect(result.ok).to.equal(false);
    expect((result as { error: { cause: Error } }).error.cause.name).to.equal("Lethe.NeedsAttention");
    expect(calls.map((c) => c.state)).to.deep.equal([
      "Find",
      "EnqueuePurges",
      "PollLedger",
      "Verify",
      "NeedsAttention",
      "AttentionReport",
    ]);
    const o = batch.storeOutcomes!;
    expect(o.billing).to.deep.equal({
      kind: "subsystem",
      name: "billing",
      outcome: "erased",
      rowsRemoved: 3,
    });
    expect(o.profiles).to.include({ outcome: "needs-attention", rowsRemoved: 0 });
    expect(o.profiles.reason).to.equal(
      `DynamoDB throttled table ${profileTable} beyond the retry budget (ProvisionedThroughputExceededException)`,
    );
    expect(o.accounts.outcome).to.equal("needs-attention");
    expect(o.accounts.reason).to.match(/statement timed out after 200 ms/);
    expect(o.crm).to.include({
      outcome: "needs-attention",
      reason: "answered failed (HTTP 422): the test double always fails",
    });
    expect(o.archive.outcome).to.equal("needs-attention");
    expect(o.archive.reason).to.equal(`not done by the deadline ${deadline} (last answer: still pending)`);
    expect(never.double.jobsCreated).to.equal(1);

    // The batch needs attention, with each failed store's reason.
    expect(batch.status).to.equal("NEEDS_ATTENTION");
    expect(batch.reason).to.include(`store profiles: ${o.profiles.reason}`);
    expect(batch.reason).to.include(`store accounts: ${o.accounts.reason}`);
    expect(batch.reason).to.include(`store crm: ${o.crm.reason}`);
    expect(batch.reason).to.include(`store archive: ${o.archive.reason}`);
    expect(batch.reason).not.to.include("billing");

    const alerts = await alertsOf(batchId);
    expect(alerts.map((a) => a.store).sort()).to.deep.equal(["accounts", "archive", "crm", "profiles"]);
    for (const a of alerts) {
      expect(a.owner).to.equal(`${a.store}-team@example.com`);
      expect(a.text).to.include("What to do by hand:");
      for (const c of subjects) expect(a.text).not.to.include(c);
    }
    // PostgreSQL rolled back: the subjects' rows are all still there, for the owner to erase by hand.
    expect(await rowsOf(subjects[0])).to.deep.equal({ customers: 1, orders: 2 });
  });

  it("a store function that fails (here: a key part the subjects do not have): the branch's Catch records it failed with the reason and alerts its owner once", async () => {
    const deadline = new Date(Date.now() + 3600_000).toISOString();
    const { batchId } = await newBatch(deadline);
    const crm = await subsystem("crm", "sync", "sync");
    const { result, batch } = await runBatch(batchId, deadline, [
      { config: { ...profiles, keyPart: 1 } },
      { config: crm.config },
    ]);
    expect(result.ok).to.equal(false);
    expect(batch.storeOutcomes!.profiles).to.deep.equal({
      kind: "dynamodb",
      name: "profiles",
      outcome: "failed",
      rowsRemoved: 0,
      reason:
        'the store\'s function failed: StoreConfigError: store "profiles": subject 1 has no key part 1 (keyPart)',
    });
    expect(batch.storeOutcomes!.crm.outcome).to.equal("erased");
    expect((await alertsOf(batchId)).map((a) => a.store)).to.deep.equal(["profiles"]);
    expect(batch.status).to.equal("NEEDS_ATTENTION");
  });
});
