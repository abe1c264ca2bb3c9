// `lethe up --local` against moto: what it made, read back through the AWS APIs, compared with the
// program's own declarations (the program run under mocks); a second run converges; down removes it.
// Runs in an emulator of its own, so removing the stack leaves the harness's shared one alone.
import { expect } from "chai";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeTableCommand, DescribeTimeToLiveCommand, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
} from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { GetTopicAttributesCommand } from "@aws-sdk/client-sns";
import { GetDatabasesCommand, GetTableCommand } from "@aws-sdk/client-glue";
import { GetWorkGroupCommand, ListWorkGroupsCommand } from "@aws-sdk/client-athena";
import { DescribeStateMachineCommand, ListStateMachinesCommand } from "@aws-sdk/client-sfn";
import { UsageError } from "../../runtime/contracts/errors";
import type { LocalStack } from "../../runtime/contracts/stack";
import { startLocalEmulator, LocalEmulator } from "../../local/emulator";
import {
  downLocal,
  programDeclarations,
  provisionLocalStack,
  ProvisionSummary,
  readOutputsFile,
  writeOutputsFile,
} from "../../local/stack";
import { localClients, LocalClients, localize } from "../../local/stack/context";
import { emulatedBucketPolicy } from "../../local/stack/translators/s3";
import { keyUrnTag } from "../../local/stack/translators/kms";
import type { CollectedResource, ProgramRun } from "../../local/program/mockedRun";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe("local/stack: lethe up --local from the program's declarations", () => {
  let emulator: LocalEmulator;
  let harnessEndpoint: string | undefined;
  let run: ProgramRun;
  let stack: LocalStack;
  let summary: ProvisionSummary;
  let aws: LocalClients;
  const declaredOf = (type: string): CollectedResource[] => run.resources.filter((r) => r.type === type);
  /** Inputs as the emulator should hold them: mocked identifiers replaced by the local ones. */
  const local = (r: CollectedResource): Inputs => localize(r.inputs, stack.localResources) as Inputs;

  before(async () => {
    harnessEndpoint = process.env.AWS_ENDPOINT_URL;
    emulator = await startLocalEmulator();
    process.env.AWS_ENDPOINT_URL = emulator.endpoint;
    ({ stack, summary } = await provisionLocalStack());
    run = await programDeclarations();
    aws = localClients({});
  });

  after(async () => {
    process.env.AWS_ENDPOINT_URL = harnessEndpoint;
    await emulator?.stop();
  });

  it("writes exactly the program's output keys with local values, plus endpoint, local, stack, localResources, the definition and the event sources", () => {
    expect(Object.keys(stack).sort()).to.deep.equal(
      [
        ...Object.keys(run.exports),
        "endpoint",
        "local",
        "stack",
        "localResources",
        "stateMachineDefinition",
        "eventSources",
        "schedules",
        "bucketNotifications",
      ].sort(),
    );
    // The program's schedules and S3 notifications, as the warm stack drives them (local/schedules.ts).
    const rules = declaredOf("aws:cloudwatch/eventRule:EventRule").filter((r) => r.inputs.scheduleExpression);
    expect((stack.schedules ?? []).map((s) => s.rule).sort()).to.deep.equal(rules.map((r) => r.name).sort());
    expect(stack.schedules!.length > 0 && stack.schedules!.every((s) => s.functionName.length > 0)).to.equal(
      true,
    );
    expect((stack.bucketNotifications ?? []).map((n) => n.bucket)).to.include(stack.lakeBucket);
    expect(stack).to.include({ endpoint: emulator.endpoint, local: true, stack: "dev" });
    // Same physical names as the program under mocks; emulator-assigned identifiers mapped.
    expect(stack.lakeBucket).to.equal(run.exports.lakeBucket);
    expect(stack.requestsTable).to.equal(run.exports.requestsTable);
    expect(stack.localResources[run.exports.kmsKeyArn as string]).to.equal(stack.kmsKeyArn);
    expect(stack.localResources[run.exports.purgeQueueUrl as string]).to.equal(stack.purgeQueueUrl);
    expect(stack.purgeQueueUrl.startsWith(emulator.endpoint)).to.equal(true);
    for (const [mocked, here] of Object.entries(stack.localResources)) expect(mocked).to.not.equal(here);
  });

  it("lists what the emulator does not hold instead of making it", () => {
    expect(Object.keys(summary.skipped)).to.include.members([
      "aws:iam/role:Role",
      "aws:lambda/function:Function",
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      // moto drops a queue's RedriveAllowPolicy: listed, not pretended.
      "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
    ]);
    expect(summary.provisioned["aws:dynamodb/table:Table"]).to.equal(
      declaredOf("aws:dynamodb/table:Table").length,
    );
  });

  it("creates every declared table with its keys, indexes, billing, KMS encryption and TTL", async () => {
    const tables = declaredOf("aws:dynamodb/table:Table");
    expect(tables.length).to.be.greaterThan(0);
    for (const r of tables) {
      const want = local(r);
      const name = r.outputs.name as string;
      const t = (await aws.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table!;
      expect(t.KeySchema, name).to.deep.equal([
        { AttributeName: want.hashKey, KeyType: "HASH" },
        ...(want.rangeKey ? [{ AttributeName: want.rangeKey, KeyType: "RANGE" }] : []),
      ]);
      expect(
        t.AttributeDefinitions!.map((a) => ({ name: a.AttributeName, type: a.AttributeType })),
        name,
      ).to.have.deep.members(want.attributes);
      expect(t.BillingModeSummary?.BillingMode ?? "PAY_PER_REQUEST").to.equal(want.billingMode);
      expect(
        (t.GlobalSecondaryIndexes ?? []).map((g) => ({
          name: g.IndexName,
          hashKey: g.KeySchema!.find((k) => k.KeyType === "HASH")!.AttributeName,
          rangeKey: g.KeySchema!.find((k) => k.KeyType === "RANGE")?.AttributeName,
          projectionType: g.Projection!.ProjectionType,
        })),
        name,
      ).to.deep.equal(
        (want.globalSecondaryIndexes ?? []).map((g: Inputs) => ({
          name: g.name,
          hashKey: g.hashKey,
          rangeKey: g.rangeKey,
          projectionType: g.projectionType,
        })),
      );
      expect(t.SSEDescription?.KMSMasterKeyArn, name).to.equal(want.serverSideEncryption.kmsKeyArn);
      expect(want.serverSideEncryption.kmsKeyArn).to.equal(stack.kmsKeyArn);
      const ttl = (await aws.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name })))
        .TimeToLiveDescription!;
      expect(ttl, name).to.deep.include({
        TimeToLiveStatus: "ENABLED",
        AttributeName: want.ttl.attributeName,
      });
    }
  });

  it("creates the KMS key as declared (description, rotation), found again by its URN tag, and its alias", async () => {
    const [key] = declaredOf("aws:kms/key:Key");
    const meta = (await aws.kms.send(new DescribeKeyCommand({ KeyId: stack.kmsKeyArn }))).KeyMetadata!;
    expect(meta).to.deep.include({ KeyState: "Enabled", Description: key.inputs.description });
    const rotation = await aws.kms.send(new GetKeyRotationStatusCommand({ KeyId: meta.KeyId }));
    expect(rotation.KeyRotationEnabled).to.equal(key.inputs.enableKeyRotation);
    const tags = (await aws.kms.send(new ListResourceTagsCommand({ KeyId: meta.KeyId }))).Tags!;
    expect(tags).to.deep.include({ TagKey: keyUrnTag, TagValue: key.urn });
    const [alias] = declaredOf("aws:kms/alias:Alias");
    const aliases = (await aws.kms.send(new ListAliasesCommand({}))).Aliases!;
    expect(aliases.find((a) => a.AliasName === alias.inputs.name)?.TargetKeyId).to.equal(meta.KeyId);
  });

  it("makes every bucket with its declared versioning, SSE-KMS, lifecycle, public access block and policy", async () => {
    const buckets = declaredOf("aws:s3/bucket:Bucket").map((b) => b.outputs.bucket as string);
    expect(buckets).to.include(stack.lakeBucket);
    const settingOf = (type: string, bucket: string) => {
      const found = declaredOf(type).filter((r) => r.inputs.bucket === bucket);
      expect(found, `${type} of ${bucket}`).to.have.length(1);
      return local(found[0]);
    };
    for (const Bucket of buckets) {
      const versioning = await aws.s3.send(new GetBucketVersioningCommand({ Bucket }));
      expect(versioning.Status).to.equal(
        settingOf("aws:s3/bucketVersioning:BucketVersioning", Bucket).versioningConfiguration.status,
      );

      const sse = settingOf(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        Bucket,
      ).rules[0];
      const rule = (await aws.s3.send(new GetBucketEncryptionCommand({ Bucket })))
        .ServerSideEncryptionConfiguration!.Rules![0];
      expect(rule.ApplyServerSideEncryptionByDefault).to.deep.equal({
        SSEAlgorithm: sse.applyServerSideEncryptionByDefault.sseAlgorithm,
        KMSMasterKeyID: stack.kmsKeyArn,
      });
      expect(rule.BucketKeyEnabled).to.equal(sse.bucketKeyEnabled);

      const lifecycle = settingOf("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", Bucket);
      const rules = (await aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules!;
      expect(
        rules.map((x) => ({
          id: x.ID,
          status: x.Status,
          prefix: x.Filter?.Prefix ?? x.Prefix ?? "",
          days: x.Expiration?.Days,
          noncurrentDays: x.NoncurrentVersionExpiration?.NoncurrentDays,
          abortDays: x.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
        })),
      ).to.deep.equal(
        lifecycle.rules.map((x: Inputs) => ({
          id: x.id,
          status: x.status,
          prefix: x.filter?.prefix ?? "",
          days: x.expiration?.days,
          noncurrentDays: x.noncurrentVersionExpiration?.noncurrentDays,
          abortDays: x.abortIncompleteMultipartUpload?.daysAfterInitiation,
        })),
      );

      const block = settingOf("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", Bucket);
      const got = (await aws.s3.send(new GetPublicAccessBlockCommand({ Bucket })))
        .PublicAccessBlockConfiguration!;
      expect(got).to.deep.equal({
        BlockPublicAcls: block.blockPublicAcls,
        BlockPublicPolicy: block.blockPublicPolicy,
        IgnorePublicAcls: block.ignorePublicAcls,
        RestrictPublicBuckets: block.restrictPublicBuckets,
      });

      const policy = emulatedBucketPolicy(settingOf("aws:s3/bucketPolicy:BucketPolicy", Bucket).policy);
      const held = await aws.s3
        .send(new GetBucketPolicyCommand({ Bucket }))
        .then((p) => JSON.parse(p.Policy!))
        .catch((err) => (err.name === "NoSuchBucketPolicy" ? undefined : Promise.reject(err)));
      expect(held).to.deep.equal(policy === undefined ? undefined : JSON.parse(policy));
    }
  });

  it("keeps a bucket policy's statements except conditional denies, which moto would apply to every request", () => {
    const allow = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" };
    const deny = { Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: "arn:aws:s3:::b" };
    const tlsOnly = { ...deny, Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const policy = (Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
    expect(JSON.parse(emulatedBucketPolicy(policy([allow, tlsOnly, deny]))!).Statement).to.deep.equal([
      allow,
      deny,
    ]);
    expect(emulatedBucketPolicy(policy([tlsOnly]))).to.equal(undefined);
  });

  it("creates every queue with its declared attributes, redrive and TLS-only policy", async () => {
    const queues = declaredOf("aws:sqs/queue:Queue");
    expect(queues.some((q) => q.inputs.redrivePolicy)).to.equal(true);
    for (const q of queues) {
      const want = local(q);
      const url = (await aws.sqs.send(new GetQueueUrlCommand({ QueueName: q.outputs.name as string })))
        .QueueUrl!;
      expect(url).to.equal(stack.localResources[q.outputs.url as string]);
      const a = (
        await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))
      ).Attributes!;
      expect(a.KmsMasterKeyId).to.equal(stack.kmsKeyArn);
      expect(Number(a.MessageRetentionPeriod)).to.equal(want.messageRetentionSeconds);
      if (want.visibilityTimeoutSeconds !== undefined)
        expect(Number(a.VisibilityTimeout)).to.equal(want.visibilityTimeoutSeconds);
      if (want.redrivePolicy) {
        const declared = JSON.parse(want.redrivePolicy);
        expect(JSON.parse(a.RedrivePolicy!)).to.deep.equal({
          deadLetterTargetArn: declared.deadLetterTargetArn,
          maxReceiveCount: declared.maxReceiveCount,
        });
      } else expect(a.RedrivePolicy).to.equal(undefined);
      const policy = declaredOf("aws:sqs/queuePolicy:QueuePolicy").find(
        (p) => p.inputs.queueUrl === q.outputs.url,
      );
      if (policy) expect(JSON.parse(a.Policy!)).to.deep.equal(JSON.parse(local(policy).policy));
    }
  });

  it("creates the alert topic with its key and policy, the Glue database and table, and the Athena workgroup", async () => {
    const [topic] = declaredOf("aws:sns/topic:Topic");
    const [topicPolicy] = declaredOf("aws:sns/topicPolicy:TopicPolicy");
    const attrs = (await aws.sns.send(new GetTopicAttributesCommand({ TopicArn: stack.alertTopicArn })))
      .Attributes!;
    expect(attrs.KmsMasterKeyId).to.equal(local(topic).kmsMasterKeyId);
    expect(JSON.parse(attrs.Policy!)).to.deep.equal(JSON.parse(local(topicPolicy).policy));

    const table = declaredOf("aws:glue/catalogTable:CatalogTable").find(
      (d) => local(d).name === stack.glueTable,
    )!;
    const t = (
      await aws.glue.send(new GetTableCommand({ DatabaseName: stack.glueDatabase, Name: stack.glueTable }))
    ).Table!;
    const want = local(table);
    expect(
      t.StorageDescriptor!.Columns!.map((c) => ({ name: c.Name, type: c.Type, comment: c.Comment })),
    ).to.deep.equal(want.storageDescriptor.columns);
    expect(t.PartitionKeys!.map((c) => ({ name: c.Name, type: c.Type, comment: c.Comment }))).to.deep.equal(
      want.partitionKeys,
    );
    expect(t.Parameters).to.deep.equal(want.parameters);
    expect(t.StorageDescriptor!.Location).to.equal(`s3://${stack.lakeBucket}/events/`);

    const [workgroup] = declaredOf("aws:athena/workgroup:Workgroup");
    const wg = (await aws.athena.send(new GetWorkGroupCommand({ WorkGroup: stack.athenaWorkgroup })))
      .WorkGroup!;
    const c = local(workgroup).configuration;
    expect(wg.Configuration!.ResultConfiguration).to.deep.equal({
      OutputLocation: c.resultConfiguration.outputLocation,
      EncryptionConfiguration: { EncryptionOption: "SSE_KMS", KmsKey: stack.kmsKeyArn },
    });
    expect(wg.Configuration!.BytesScannedCutoffPerQuery).to.equal(c.bytesScannedCutoffPerQuery);
    expect(wg.Configuration!.EnforceWorkGroupConfiguration).to.equal(c.enforceWorkgroupConfiguration);
  });

  it("records each declared SQS event source mapping: the queue, the function, the batch size", () => {
    const mappings = declaredOf("aws:lambda/eventSourceMapping:EventSourceMapping").map((m) => local(m));
    expect(mappings).to.have.length.greaterThan(0);
    expect(stack.eventSources).to.have.deep.members(
      mappings.map((m) => ({
        queueName: String(m.eventSourceArn).split(":").pop(),
        functionName: m.functionName,
        batchSize: m.batchSize ?? 10,
      })),
    );
    const order = stack.eventSources!.map((s) => s.queueName);
    expect(order, "sorted, so two runs write the same outputs").to.deep.equal([...order].sort());
    // The purge queue feeds the purge function the configured number of messages per invocation.
    const purgeQueue = stack.purgeQueueUrl.split("/").pop();
    const purge = stack.eventSources!.find((s) => s.queueName === purgeQueue)!;
    expect(purge.functionName).to.match(/function:lethe-dev-purge(-|$)/);
    expect(purge.batchSize).to.equal(2);
  });

  it("records the deployed state machine's definition as local mode runs it, and makes the machine", async () => {
    const [machine] = declaredOf("aws:sfn/stateMachine:StateMachine");
    const deployed = JSON.parse(machine.inputs.definition as string);
    // The deployed definition and the local one are the same JSON: tasks name the same functions.
    expect(stack.stateMachineDefinition).to.deep.equal(deployed);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lethe-outputs-")), "local.json");
    writeOutputsFile(file, stack);
    expect(readOutputsFile(file).stateMachineDefinition).to.deep.equal(deployed);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    const held = await aws.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: stack.stateMachineArn }),
    );
    expect(JSON.parse(held.definition!)).to.deep.equal(deployed);
    expect(held.name).to.equal(machine.outputs.name);
  });

  /** What the emulator holds, counted through its list APIs. */
  async function inventory() {
    const keys = (await aws.kms.send(new ListKeysCommand({}))).Keys!;
    const states = await Promise.all(
      keys.map((k) =>
        aws.kms.send(new DescribeKeyCommand({ KeyId: k.KeyId })).then((d) => d.KeyMetadata!.KeyState),
      ),
    );
    return {
      enabledKeys: states.filter((s) => s === "Enabled").length,
      aliases: (await aws.kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName).sort(),
      buckets: ((await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name).sort(),
      tables: ((await aws.dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).sort(),
      queues: ((await aws.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).sort(),
      databases: ((await aws.glue.send(new GetDatabasesCommand({}))).DatabaseList ?? [])
        .map((d) => d.Name)
        .sort(),
      workgroups: ((await aws.athena.send(new ListWorkGroupsCommand({}))).WorkGroups ?? [])
        .map((w) => w.Name)
        .sort(),
      stateMachines: ((await aws.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [])
        .map((m) => m.name)
        .sort(),
    };
  }

  it("converges on a second run: same outputs, no duplicate, no error", async () => {
    const before = await inventory();
    expect(before.enabledKeys).to.equal(declaredOf("aws:kms/key:Key").length);
    expect(before.tables).to.have.length(declaredOf("aws:dynamodb/table:Table").length);
    const again = await provisionLocalStack();
    expect(again.stack).to.deep.equal(stack);
    expect(await inventory()).to.deep.equal(before);
  });

  it("down removes what up made (and the outputs file), then refuses the missing file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-down-"));
    const file = path.join(dir, "local.json");
    writeOutputsFile(file, stack);
    expect(readOutputsFile(file)).to.deep.equal(stack);
    const down = await downLocal({ outputs: file });
    expect(down.removed["aws:dynamodb/table:Table"]).to.equal(declaredOf("aws:dynamodb/table:Table").length);
    const after = await inventory();
    expect(after).to.deep.include({
      enabledKeys: 0,
      buckets: [],
      tables: [],
      queues: [],
      databases: [],
      stateMachines: [],
    });
    expect(after.aliases.filter((a) => !a!.startsWith("alias/aws/"))).to.deep.equal([]);
    expect(after.workgroups).to.not.include(stack.athenaWorkgroup);
    const key = (await aws.kms.send(new DescribeKeyCommand({ KeyId: stack.kmsKeyArn }))).KeyMetadata!;
    expect(key.KeyState).to.equal("PendingDeletion");
    expect(fs.existsSync(file)).to.equal(false);
    let err: unknown;
    await downLocal({ outputs: file }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.include(file);
  });

  it("fails fast with a UsageError naming an endpoint where nothing listens, or that does not speak AWS", async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const nothing = `http://127.0.0.1:${await closedPort()}`;
      process.env.AWS_ENDPOINT_URL = nothing;
      const started = Date.now();
      let err: unknown;
      await provisionLocalStack().catch((e) => (err = e));
      expect(err).to.be.instanceOf(UsageError);
      expect((err as Error).message)
        .to.include(nothing)
        .and.include("ECONNREFUSED");
      expect(Date.now() - started).to.be.lessThan(5000);

      const notAws = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      process.env.AWS_ENDPOINT_URL = notAws;
      err = undefined;
      await provisionLocalStack().catch((e) => (err = e));
      expect(err).to.be.instanceOf(UsageError);
      expect((err as Error).message)
        .to.include(notAws)
        .and.include("does not answer like AWS");
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
      server.close();
    }
  });
});
