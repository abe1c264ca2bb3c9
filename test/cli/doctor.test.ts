// `lethe doctor` against a local stack whose lake is this test's own (a versioned bucket with
// lifecycle rules, a Glue table, Parquet objects, an alert topic with a subscriber): clean it exits 0,
// and each problem planted one at a time (then taken back) is found with what to change, exit 1.
// Stores are checked against this machine's PostgreSQL and the emulator's DynamoDB; a stack that
// cannot be reached exits 2; `lethe erase` refuses a stack that fails a must-have check.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteTableCommand,
  TableInput,
} from "@aws-sdk/client-glue";
import {
  CreateBucketCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { CreateTopicCommand, SubscribeCommand, UnsubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import {
  makeGlueClient,
  makeS3Client,
  makeSecretsManagerClient,
  makeSnsClient,
  makeSqsClient,
  makeLambdaClient,
  resolveClientConfig,
} from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { sharedLocalStack } from "../support/localStack";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateFunctionCommand } from "@aws-sdk/client-lambda";
import * as yazl from "yazl";
import { envNames } from "../../runtime/contracts/env";
import { captureStdout } from "../support/captureStdout";
import { main } from "../../cli/index";
import { doctorClients, doctorExitCode, doctorTarget, runDoctor, DoctorCheck } from "../../cli/work/doctor";

const tag = `${process.pid}`;
const bucket = `doctor-lake-${tag}`;
const db = `doctor_${tag}`;
const mapper: DataMapper = {
  name: "orders",
  glueDatabase: db,
  glueTable: "orders",
  location: `s3://${bucket}/orders/`,
  idColumns: ["customer_id"],
  format: "parquet",
  partitionColumns: ["dt"],
};
const parquetObject = Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(64), Buffer.from("PAR1")]);

function table(
  overrides: Partial<TableInput> = {},
  columns = [{ Name: "customer_id", Type: "string" }],
): TableInput {
  return {
    Name: "orders",
    PartitionKeys: [{ Name: "dt", Type: "string" }],
    StorageDescriptor: {
      Location: mapper.location,
      Columns: [...columns, { Name: "amount", Type: "double" }],
      InputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
      SerdeInfo: { SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
    },
    ...overrides,
  };
}

const lifecycle = {
  Rules: [
    {
      ID: "expire-noncurrent-versions",
      Status: "Enabled" as const,
      Filter: { Prefix: "" },
      NoncurrentVersionExpiration: { NoncurrentDays: 3 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    },
  ],
};

describe("cli: lethe doctor against a local stack, each problem planted one at a time", function () {
  this.timeout(120_000);
  const s3 = makeS3Client();
  const glue = makeGlueClient();
  const sns = makeSnsClient();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-doctor-"));
  const outputsFile = path.join(dir, "outputs.json");
  let stack: LocalStack;
  let subscriptionArn: string;
  let topicArn: string;

  async function doctor(...args: string[]): Promise<{ code: number; text: string }> {
    const { result, output } = await captureStdout(() =>
      main(["doctor", "--stack-outputs", outputsFile, ...args]),
    );
    return { code: result, text: output.join("") };
  }

  /** The failed checks of a `--json` run. */
  async function findings(): Promise<{ code: number; failed: DoctorCheck[] }> {
    const { code, text } = await doctor("--json");
    const checks = (JSON.parse(text) as { checks: DoctorCheck[] }).checks;
    return { code, failed: checks.filter((c) => c.status === "failed") };
  }

  before(async () => {
    stack = await sharedLocalStack();
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
      }),
    );
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: lifecycle }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "orders/dt=2026-01-01/part-0.parquet",
        Body: parquetObject,
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "orders/_SUCCESS", Body: Buffer.alloc(0) }));
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: db } }));
    await glue.send(new CreateTableCommand({ DatabaseName: db, TableInput: table() }));
    topicArn = (await sns.send(new CreateTopicCommand({ Name: `doctor-alerts-${tag}` }))).TopicArn!;
    const sqs = makeSqsClient();
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `doctor-oncall-${tag}` })))
      .QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))
    ).Attributes!.QueueArn;
    subscriptionArn = (
      await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn }))
    ).SubscriptionArn!;
    fs.writeFileSync(
      outputsFile,
      JSON.stringify({ ...stack, dataMappers: [mapper], alertTopicArn: topicArn }),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a clean stack: every check passes or is skipped with its reason, exit 0", async () => {
    const { code, text } = await doctor();
    expect(code, text).to.equal(0);
    expect(text).to.match(
      /ok {3}must {3}mapper orders \(s3:\/\/doctor-lake-\d+\/orders\/\): bucket versioning: enabled/,
    );
    expect(text).to.match(/ok {3}should mapper orders .*: object format: 1 sampled object\(s\) are Parquet/);
    expect(text).to.match(/ok {3}must {3}mapper orders .*: id columns: customer_id string/);
    expect(text).to.match(
      /skip must {3}mapper orders: purge role access: skipped: the local stack has no IAM roles/,
    );
    expect(text).to.match(/ok {3}must {3}athena workgroup .*: athena workgroup: enabled/);
    expect(text).to.match(/ok {3}should alert topic .*: alert subscriptions: 1 confirmed: sqs/);
    expect(text).to.match(/doctor: all \d+ checks passed \(1 skipped\)$/m);
  });

  it("the stack `lethe up --local` provisions passes every must-have check (so `lethe erase` starts)", async () => {
    const own = path.join(dir, "own.json");
    fs.writeFileSync(own, JSON.stringify(stack));
    const { text } = await captureStdout(() => main(["doctor", "--stack-outputs", own, "--json"])).then(
      (r) => ({
        text: r.output.join(""),
      }),
    );
    const checks = (JSON.parse(text) as { checks: DoctorCheck[] }).checks;
    expect(checks.filter((c) => c.level === "must" && c.status === "failed")).to.deep.equal([]);
    expect(checks.map((c) => c.subject)).to.include(`mapper events (s3://${stack.lakeBucket}/events/)`);
  });

  it("versioning suspended: a must-have finding, with the command that enables it", async () => {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } }),
    );
    // An object written now has the version "null": the suspension leaves a trace.
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "orders/dt=2026-01-02/part-1.parquet",
        Body: parquetObject,
      }),
    );
    try {
      const { code, failed } = await findings();
      expect(code).to.equal(1);
      expect(failed.map((c) => [c.check, c.level, c.detail])).to.deep.equal([
        ["bucket versioning", "must", "versioning is suspended"],
        [
          "never suspended",
          "should",
          "1 object version(s) under the location were written while versioning was off or suspended",
        ],
      ]);
      expect(failed[0].fix).to.include(`put-bucket-versioning --bucket ${bucket}`);
    } finally {
      await s3.send(
        new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
      );
      await s3.send(
        new DeleteObjectCommand({
          Bucket: bucket,
          Key: "orders/dt=2026-01-02/part-1.parquet",
          VersionId: "null",
        }),
      );
    }
  });

  it("no noncurrent-version expiry (nor multipart abort): should-have findings naming the deadline", async () => {
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
    try {
      const { code, failed } = await findings();
      expect(code).to.equal(1);
      expect(failed.map((c) => c.check)).to.deep.equal([
        "noncurrent version expiry",
        "incomplete multipart uploads",
      ]);
      expect(failed[0].fix).to.match(/NoncurrentDays below 30/);
    } finally {
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: lifecycle }),
      );
    }
  });

  it("noncurrent versions kept past the 30-day deadline: a finding", async () => {
    const late = structuredClone(lifecycle);
    late.Rules[0].NoncurrentVersionExpiration.NoncurrentDays = 45;
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: late }),
    );
    try {
      const { failed } = await findings();
      expect(failed.map((c) => c.detail)).to.deep.equal([
        "noncurrent versions expire after 45 day(s), not within the 30-day erasure deadline",
      ]);
    } finally {
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: lifecycle }),
      );
    }
  });

  async function withTable(input: TableInput, run: () => Promise<void>): Promise<void> {
    await glue.send(new DeleteTableCommand({ DatabaseName: db, Name: "orders" }));
    await glue.send(new CreateTableCommand({ DatabaseName: db, TableInput: input }));
    try {
      await run();
    } finally {
      await glue.send(new DeleteTableCommand({ DatabaseName: db, Name: "orders" }));
      await glue.send(new CreateTableCommand({ DatabaseName: db, TableInput: table() }));
    }
  }

  it("a Glue table of another format: a must-have finding naming both formats", async () => {
    const json = table();
    json.StorageDescriptor!.InputFormat = "org.apache.hadoop.mapred.TextInputFormat";
    json.StorageDescriptor!.SerdeInfo = { SerializationLibrary: "org.openx.data.jsonserde.JsonSerDe" };
    await withTable(json, async () => {
      const { code, failed } = await findings();
      expect(code).to.equal(1);
      expect(failed.map((c) => [c.check, c.level, c.detail])).to.deep.equal([
        ["table format", "must", "the table reads jsonl, the mapper declares parquet"],
      ]);
    });
  });

  it("a Glue table with a different ID column: a must-have finding naming the column", async () => {
    await withTable(table({}, [{ Name: "client_id", Type: "string" }]), async () => {
      const { failed } = await findings();
      expect(failed.map((c) => [c.check, c.level])).to.deep.equal([["id columns", "must"]]);
      expect(failed[0].detail).to.match(/ID column 'customer_id' is not a column of doctor_\d+\.orders/);
    });
    await withTable(table({}, [{ Name: "customer_id", Type: "double" }]), async () => {
      const { failed } = await findings();
      expect(failed[0].detail).to.match(/ID column 'customer_id' has type double/);
    });
  });

  it("a CSV mapper whose Glue table reads another separator: a must-have finding naming the difference", async () => {
    const csvMapper: DataMapper = {
      ...mapper,
      name: "leads",
      format: "csv",
      partitionColumns: [],
      csv: { serde: "OpenCSVSerde", columns: ["customer_id", "amount"], separator: ";" },
    };
    const csvTable = table({ PartitionKeys: [] });
    csvTable.StorageDescriptor!.InputFormat = "org.apache.hadoop.mapred.TextInputFormat";
    csvTable.StorageDescriptor!.SerdeInfo = {
      SerializationLibrary: "org.apache.hadoop.hive.serde2.OpenCSVSerde",
      Parameters: { separatorChar: "," },
    };
    await withTable(csvTable, async () => {
      const checks = await runDoctor(
        { ...(await doctorTarget({ ...stack, dataMappers: [csvMapper], alertTopicArn: topicArn })) },
        doctorClients(),
      );
      const failedChecks = checks.filter((c) => c.status === "failed");
      expect(failedChecks.map((c) => [c.check, c.level])).to.deep.equal([["csv options", "must"]]);
      expect(failedChecks[0].detail).to.match(/separator/);
    });
  });

  it("objects that are not in the mapper's format: a finding naming them", async () => {
    const key = "orders/dt=2026-01-03/part-2.parquet";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"customer_id":"x"}\n' }));
    try {
      const { code, failed } = await findings();
      expect(code).to.equal(1);
      expect(failed.map((c) => [c.check, c.level, c.detail])).to.deep.equal([
        ["object format", "should", `1 of 2 sampled object(s) are not Parquet: s3://${bucket}/${key}`],
      ]);
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
  });

  it("nobody subscribed to the alert topic: a finding saying how to subscribe", async () => {
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
    const { code, failed } = await findings();
    expect(code).to.equal(1);
    expect(failed.map((c) => c.check)).to.deep.equal(["alert subscriptions"]);
    expect(failed[0].fix).to.match(/lethe:alertEmail/);
  });

  it("each store reached as its function reaches it: PostgreSQL and DynamoDB, unreachable ones found", async () => {
    const sm = makeSecretsManagerClient();
    const secret = (host: string, port: number) =>
      sm.send(
        new CreateSecretCommand({
          Name: `doctor-pg-${port}-${tag}`,
          SecretString: JSON.stringify({ username: "postgres", password: "", host, port, dbname: "test" }),
        }),
      );
    await secret("127.0.0.1", 5432);
    await secret("127.0.0.1", 1);
    const target = {
      ...(await doctorTarget({ ...stack, dataMappers: [], alertTopicArn: topicArn })),
      stores: [],
    };
    const pg = (name: string, port: number) => ({
      name,
      kind: "postgres" as const,
      owner: "crm@example.com",
      connectionSecret: `doctor-pg-${port}-${tag}`,
      ssl: false,
      tables: [{ table: "pg_catalog.pg_class", idColumn: "relname" }],
    });
    const checks = await runDoctor(
      {
        ...target,
        stores: [
          pg("crm", 5432),
          pg("billing", 1),
          {
            name: "carts",
            kind: "dynamodb",
            owner: "shop@example.com",
            table: stack.requestsTable,
            idAttribute: "id",
          },
          {
            name: "wishlists",
            kind: "dynamodb",
            owner: "shop@example.com",
            table: `no-such-${tag}`,
            idAttribute: "id",
          },
        ],
      },
      doctorClients(),
    );
    const stores = checks.filter((c) => c.check === "store reachable");
    expect(stores.map((c) => [c.subject, c.status])).to.deep.equal([
      ["store crm (postgres)", "ok"],
      ["store billing (postgres)", "failed"],
      ["store carts (dynamodb)", "ok"],
      ["store wishlists (dynamodb)", "failed"],
    ]);
    expect(stores[1].detail).to.match(/cannot connect to PostgreSQL/);
    expect(stores[1].fix).to.include(`doctor-pg-1-${tag}`);
    expect(stores[3].detail).to.match(/ResourceNotFoundException/);
    expect(doctorExitCode(checks)).to.equal(1);
  });

  it("a deployed stack: the purge role and stores from its functions; simulation skipped where IAM cannot simulate", async () => {
    // The emulator holds Lambda functions and IAM roles, but has no policy simulator.
    const iam = new IAMClient(resolveClientConfig());
    const roleArn = (
      await iam.send(
        new CreateRoleCommand({
          RoleName: `doctor-purge-${tag}`,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
            ],
          }),
        }),
      )
    ).Role!.Arn!;
    const lambda = makeLambdaClient();
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from("exports.handler = async () => null;"), "index.js");
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
    const code = Buffer.concat(chunks);
    const fn = (name: string, variables: Record<string, string>) =>
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: "nodejs22.x",
          Role: roleArn,
          Handler: "index.handler",
          Code: { ZipFile: code },
          Environment: { Variables: variables },
        }),
      );
    const store = {
      name: "carts",
      kind: "dynamodb",
      owner: "shop@example.com",
      table: stack.requestsTable,
      idAttribute: "id",
    };
    await fn(`doctor-purge-${tag}`, {});
    await fn(`doctor-store-carts-${tag}`, { [envNames.store]: JSON.stringify(store) });
    const deployed = {
      ...stack,
      local: false,
      dataMappers: [mapper],
      alertTopicArn: topicArn,
      purgeFunction: `doctor-purge-${tag}`,
      storeFunctions: { carts: `doctor-store-carts-${tag}` },
    };
    const target = await doctorTarget(deployed);
    expect(target.purgeRoleArn).to.equal(roleArn);
    expect(target.stores).to.deep.equal([store]);
    const checks = await runDoctor(target, doctorClients());
    const access = checks.find((c) => c.check === "purge role access")!;
    expect([access.status, access.level]).to.deep.equal(["skipped", "must"]);
    expect(access.detail, access.detail).to.match(
      /^IAM policy simulation is not available to these credentials .*allow iam:SimulatePrincipalPolicy/,
    );
    expect(checks.find((c) => c.check === "store reachable")).to.include({
      subject: "store carts (dynamodb)",
      status: "ok",
    });
  });

  it("a stack it cannot reach: exit 2 with the reason", async () => {
    const unreachable = path.join(dir, "unreachable.json");
    fs.writeFileSync(unreachable, JSON.stringify({ ...stack, endpoint: "http://127.0.0.1:1" }));
    const saved = process.env.AWS_ENDPOINT_URL;
    try {
      const { result } = await captureStdout(() => main(["doctor", "--stack-outputs", unreachable]));
      expect(result).to.equal(2);
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  it("lethe erase refuses to start against a stack failing a must-have check, naming it", async () => {
    const json = table();
    json.StorageDescriptor!.SerdeInfo = { SerializationLibrary: "org.openx.data.jsonserde.JsonSerDe" };
    await withTable(json, async () => {
      const stderr: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string) => (
        stderr.push(String(chunk)),
        true
      )) as typeof process.stderr.write;
      let code: number;
      try {
        ({ result: code } = await captureStdout(() =>
          main(["erase", "c-1", "--stack-outputs", outputsFile]),
        ));
      } finally {
        process.stderr.write = write;
      }
      expect(code, stderr.join("")).to.equal(1);
      expect(stderr.join("")).to.match(/lethe erase: not started: the stack fails 1 must-have check/);
      expect(stderr.join("")).to.match(/table format: the table reads jsonl, the mapper declares parquet/);
    });
  });

  it("lethe erase --force starts without asking the doctor", async () => {
    // Outputs of no stack at all: the doctor cannot run (a must-have failure), and erase itself refuses them.
    const none = path.join(dir, "none.json");
    fs.writeFileSync(none, JSON.stringify({ region: "eu-west-1" }));
    const run = async (...args: string[]) => {
      const stderr: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string) => (
        stderr.push(String(chunk)),
        true
      )) as typeof process.stderr.write;
      try {
        const { result } = await captureStdout(() =>
          main(["erase", "c-1", "--stack-outputs", none, ...args]),
        );
        return { code: result, stderr: stderr.join("") };
      } finally {
        process.stderr.write = write;
      }
    };
    const refused = await run();
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /not started: .*\n.*the stack: doctor: the stack outputs have no dataMappers/,
    );
    const forced = await run("--force");
    expect(forced.code).to.equal(2);
    expect(forced.stderr).to.match(/^lethe: the stack outputs have no requestFunction/);
  });
});
