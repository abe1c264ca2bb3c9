// A small versioned, SSE-KMS lake in moto for the forget tests: Parquet objects written by the sample
// lake generator, a lock table, a manifest per batch, and pyarrow's reading of every version.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  Message,
} from "@aws-sdk/client-sqs";
import type { PurgeQueueRecord } from "../../runtime/handlers/purge";
import { envNames } from "../../runtime/contracts/env";
import type { LocalStack } from "../../runtime/contracts/stack";
import { sharedLocalStack } from "../support/localStack";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  makeDynamoDbClient,
  makeKmsClient,
  makeS3Client,
  makeSnsClient,
  makeSqsClient,
} from "../../runtime/aws/clients";
import type { DataMapper } from "../../runtime/contracts/mappers";
import type { ManifestRef, PurgeObjectMessage } from "../../runtime/contracts/messages";
import { writeManifest } from "../../runtime/erasure/manifest";
import { MutexClient } from "../../runtime/lock";
import { createBucketLike } from "../../local/stack/copies";
import { createLockTable } from "../../local/fixtures/lockTable";
import { sampleParquet } from "../../local/fixtures/sampleLake";
import { tempDir } from "../purge/pyarrow";
import { pyarrowView } from "../../local/fixtures/pyarrowLake";
export { pyarrowView } from "../../local/fixtures/pyarrowLake";

export interface TestLake {
  s3: S3Client;
  ddb: DynamoDBClient;
  bucket: string;
  kmsKeyArn: string;
  lockTable: string;
  mapper: DataMapper;
  dir: string;
  customers: string[];
}

export async function createTestLake(customerCount = 40): Promise<TestLake> {
  const s3 = makeS3Client();
  const ddb = makeDynamoDbClient();
  const kmsKeyArn = (await makeKmsClient().send(new CreateKeyCommand({ Description: "lethe forget test" })))
    .KeyMetadata!.Arn!;
  const bucket = await createBucketLike("lakeBucket", `lethe-forget-${randomUUID().slice(0, 8)}`, kmsKeyArn);
  const lockTable = await createLockTable(ddb, "lethe-forget-locks");
  const mapper: DataMapper = {
    name: "events",
    glueDatabase: "lethe",
    glueTable: "events",
    location: `s3://${bucket}/events/`,
    idColumns: ["customer_id"],
    format: "parquet",
    partitionColumns: ["dt"],
  };
  const customers = Array.from({ length: customerCount }, (_, i) => `cust-${String(i).padStart(4, "0")}`);
  return { s3, ddb, bucket, kmsKeyArn, lockTable, mapper, dir: tempDir(), customers };
}

/** A Parquet object of `rows` rows over the lake's customers (deterministic per seed). */
export function lakeBytes(lake: TestLake, seed: number, rows = 120, customers = lake.customers): Uint8Array {
  return sampleParquet(customers, rows, 40, "2026-11-30", seed).bytes;
}

export async function putLakeObject(lake: TestLake, key: string, body: Uint8Array): Promise<string> {
  const put = await lake.s3.send(
    new PutObjectCommand({
      Bucket: lake.bucket,
      Key: key,
      Body: body,
      ContentType: "application/vnd.apache.parquet",
      Metadata: { producer: "firehose" },
    }),
  );
  return put.VersionId!;
}

export async function putManifest(lake: TestLake, subjects: string[]): Promise<ManifestRef> {
  return writeManifest(lake.s3, {
    bucket: lake.bucket,
    batchId: `forget-${randomUUID()}`,
    keys: subjects.map((s) => [s]),
    kmsKeyArn: lake.kmsKeyArn,
  });
}

export function purgeMessage(
  lake: TestLake,
  batchId: string,
  key: string,
  manifest: ManifestRef,
): PurgeObjectMessage {
  return {
    batchId,
    mapper: lake.mapper.name,
    object: { bucket: lake.bucket, key, versionIds: [] },
    manifest,
  };
}

/** A MutexClient on the lake's lock table with test-sized timings, renewing its leases. */
export function lakeMutex(lake: TestLake, name: string, overrides = {}): MutexClient {
  return new MutexClient({
    clientName: name,
    dynamoDbClient: lake.ddb,
    tableName: lake.lockTable,
    // Long enough for a purge whose event loop a loaded machine stalls for seconds.
    defaultLeaseDuration: 15,
    autoRenew: true,
    refreshWaitTime: 0.05,
    maxTimeout: 60,
    clockSkewAllowance: 0.2,
    ...overrides,
  });
}

export interface StoredVersion {
  versionId: string;
  deleteMarker: boolean;
  file?: string;
}

/** Every version of `key` (delete markers included), object versions downloaded to local files. */
export async function downloadVersions(lake: TestLake, key: string): Promise<StoredVersion[]> {
  const list = await lake.s3.send(new ListObjectVersionsCommand({ Bucket: lake.bucket, Prefix: key }));
  const out: StoredVersion[] = [];
  for (const m of list.DeleteMarkers ?? []) {
    if (m.Key === key) out.push({ versionId: m.VersionId!, deleteMarker: true });
  }
  for (const v of list.Versions ?? []) {
    if (v.Key !== key) continue;
    const o = await lake.s3.send(
      new GetObjectCommand({ Bucket: lake.bucket, Key: key, VersionId: v.VersionId }),
    );
    const file = path.join(lake.dir, `${randomUUID()}.parquet`);
    fs.writeFileSync(file, await o.Body!.transformToByteArray());
    out.push({ versionId: v.VersionId!, deleteMarker: false, file });
  }
  return out;
}

export function writeLocal(lake: TestLake, bytes: Uint8Array): string {
  const file = path.join(lake.dir, `${randomUUID()}.parquet`);
  fs.writeFileSync(file, bytes);
  return file;
}

/** IDs of `subjects` still present in any version of the given keys, per key (empty: all gone). */
export async function survivingSubjects(
  lake: TestLake,
  keys: string[],
  subjects: string[],
): Promise<Record<string, string[]>> {
  const files: Record<string, string[]> = {};
  for (const key of keys) {
    files[key] = (await downloadVersions(lake, key)).filter((v) => v.file).map((v) => v.file!);
  }
  const view = pyarrowView(Object.values(files).flat());
  const wanted = new Set(subjects);
  const left: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(files)) {
    const found = [...new Set(list.flatMap((f) => view.keys[f]).filter((id) => wanted.has(id)))];
    if (found.length) left[key] = found;
  }
  return left;
}

export const context = { getRemainingTimeInMillis: () => 600_000 };

/** Lambda's shape of an SQS message (lower-case attribute fields). */
export function sqsRecord(m: Message): PurgeQueueRecord {
  return {
    messageId: m.MessageId!,
    body: m.Body!,
    eventSource: "aws:sqs",
    attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1" },
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        { stringValue: v.StringValue, dataType: v.DataType },
      ]),
    ),
  };
}

export async function drain(queueUrl: string, wantAtLeast = 0, waitSeconds = 1): Promise<Message[]> {
  const sqs = makeSqsClient();
  const out: Message[] = [];
  for (let empty = 0; empty < 3 || out.length < wantAtLeast;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        VisibilityTimeout: 600,
      }),
    );
    if (!got.Messages?.length) {
      empty++;
      if (empty > 20) break;
      continue;
    }
    out.push(...got.Messages);
  }
  return out;
}

export interface HandlerStack {
  stack: LocalStack;
  env: Record<string, string>;
  alertQueueUrl: string;
}

export async function handlerStack(lake: TestLake): Promise<HandlerStack> {
  const stack = await sharedLocalStack();
  const sns = makeSnsClient();
  const sqs = makeSqsClient();
  const topic = await sns.send(new CreateTopicCommand({ Name: `lethe-alerts-${randomUUID().slice(0, 8)}` }));
  const alertQueueUrl = (
    await sqs.send(new CreateQueueCommand({ QueueName: `lethe-alerts-${randomUUID().slice(0, 8)}` }))
  ).QueueUrl!;
  const alertQueueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: alertQueueUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes!.QueueArn!;
  await sns.send(
    new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: "sqs", Endpoint: alertQueueArn }),
  );
  const env = {
    [envNames.dataMappers]: JSON.stringify([lake.mapper]),
    [envNames.locksTable]: lake.lockTable,
    [envNames.ledgerTable]: stack.ledgerTable,
    [envNames.indexTable]: stack.indexTable,
    [envNames.errorsTable]: stack.errorsTable,
    [envNames.purgeQueueUrl]: stack.purgeQueueUrl,
    [envNames.purgeDeadLetterQueueUrl]: stack.purgeDeadLetterQueueUrl,
    [envNames.alertTopicArn]: topic.TopicArn!,
    [envNames.purgeLockWaitSeconds]: "1",
    [envNames.purgeWorkReserveSeconds]: "10",
    [envNames.purgeMaxObjectBytes]: String(1024 * 1024),
  };
  return { stack, env, alertQueueUrl };
}
