// The local AWS emulator and the client module: same-shaped bucket and table, created and used via the SDK.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import {
  makeDocumentClient,
  makeDynamoDbClient,
  makeKmsClient,
  makeS3Client,
  resolveClientConfig,
} from "../../runtime/aws/clients";
import { tableShapes, ttlAttribute } from "../../runtime/contracts/tables";

describe("harness: local AWS emulator and client module", () => {
  it("points every client at AWS_ENDPOINT_URL, and an explicit setting wins", () => {
    expect(process.env.AWS_ENDPOINT_URL, "the harness sets it").to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(resolveClientConfig().endpoint).to.equal(process.env.AWS_ENDPOINT_URL);
    expect(resolveClientConfig({ endpoint: "http://127.0.0.1:1" }).endpoint).to.equal("http://127.0.0.1:1");
    expect(resolveClientConfig({ region: "us-east-2" }).region).to.equal("us-east-2");
  });

  it("creates a lake-shaped bucket (versioned, SSE-KMS, private) and keeps object versions", async () => {
    const s3 = makeS3Client();
    const kms = makeKmsClient();
    const key = await kms.send(new CreateKeyCommand({ Description: "lethe test" }));
    const Bucket = `lethe-harness-${randomUUID().slice(0, 8)}`;
    await s3.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm: "aws:kms",
                KMSMasterKeyID: key.KeyMetadata!.Arn,
              },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    const Key = "events/dt=2026-11-29/part-0.parquet";
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: "v1" }));
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: "v2" }));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect(versions.Versions).to.have.length(2);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body!.transformToString()).to.equal("v2");
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(
      enc.ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm,
    ).to.equal("aws:kms");
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket }));
    expect(pab.PublicAccessBlockConfiguration!.RestrictPublicBuckets).to.equal(true);
  });

  it("creates a lock-shaped table (pk, sk, TTL on ttl) and reads back what it wrote", async () => {
    const ddb = makeDynamoDbClient();
    const TableName = `lethe-harness-locks-${randomUUID().slice(0, 8)}`;
    const shape = tableShapes.locks;
    await ddb.send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: shape.hashKey, KeyType: "HASH" },
          { AttributeName: shape.rangeKey, KeyType: "RANGE" },
        ],
        AttributeDefinitions: shape.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
        SSESpecification: { Enabled: true, SSEType: "KMS" },
      }),
    );
    await waitUntilTableExists({ client: ddb, maxWaitTime: 30 }, { TableName });
    await ddb.send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).to.equal("ttl");
    const doc = makeDocumentClient(undefined, ddb);
    await doc.send(
      new PutCommand({ TableName, Item: { pk: "s3://lake/a.parquet", sk: "lock", ttl: 1_900_000_000 } }),
    );
    const item = await doc.send(
      new GetCommand({ TableName, Key: { pk: "s3://lake/a.parquet", sk: "lock" } }),
    );
    expect(item.Item).to.deep.equal({ pk: "s3://lake/a.parquet", sk: "lock", ttl: 1_900_000_000 });
    const described = await ddb.send(new DescribeTableCommand({ TableName }));
    expect(described.Table?.BillingModeSummary?.BillingMode).to.equal("PAY_PER_REQUEST");
  });
});

describe("harness: the emulator never outlives the process that started it", () => {
  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  it("stops when its parent is killed without any clean-up", async function () {
    this.timeout(60_000);
    const { spawn } = await import("node:child_process");
    const script =
      'require("./local/emulator").startLocalEmulator().then(e => { console.log("PID=" + e.pid); setInterval(() => {}, 1000); });';
    const parent = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: require("node:path").resolve(__dirname, "../.."),
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = "";
      parent.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /PID=(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      parent.once("exit", (code) => reject(new Error(`parent exited early (${code})`)));
    });
    expect(alive(pid)).to.equal(true);
    parent.kill("SIGKILL");
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid), "moto still running after its parent died").to.equal(false);
  });
});
