// Creates, in whatever AWS_ENDPOINT_URL points at (the local emulator by default), the data plane the
// Pulumi program declares: a KMS key, the KMS HMAC key subject hashes are keyed with, the versioned
// SSE-KMS lake and audit buckets, every erasure table (same key
// design, TTL on) and the purge queue with its DLQ. Lets the whole pipeline run without an account.
import { randomUUID } from "node:crypto";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { makeDynamoDbClient, makeKmsClient, makeS3Client, makeSqsClient } from "../runtime/aws/clients";
import { tableShapes, ttlAttribute, TableRole, TableShape } from "../runtime/contracts/tables";
import type { LocalStack } from "../runtime/contracts/stack";
export type { LocalStack } from "../runtime/contracts/stack";

/** A bucket like the lake: versioned, SSE-KMS with the given key and a bucket key, all public access blocked. */
export async function createEncryptedBucket(
  s3: S3Client,
  bucket: string,
  kmsKeyArn: string,
): Promise<string> {
  const region = await s3.config.region();
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === "us-east-1"
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
    }),
  );
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: kmsKeyArn },
            BucketKeyEnabled: true,
          },
        ],
      },
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  return bucket;
}

/** A table with the program's key design for one role (infra/erasure/erasureTables.ts), TTL on, SSE-KMS when a key is given. */
export async function createTableOfShape(
  ddb: DynamoDBClient,
  TableName: string,
  shape: TableShape,
  kmsKeyArn?: string,
): Promise<string> {
  await ddb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: shape.hashKey, KeyType: "HASH" },
        ...(shape.rangeKey ? [{ AttributeName: shape.rangeKey, KeyType: "RANGE" as const }] : []),
      ],
      AttributeDefinitions: shape.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
      GlobalSecondaryIndexes: shape.globalSecondaryIndexes?.map((g) => ({
        IndexName: g.name,
        KeySchema: [
          { AttributeName: g.hashKey, KeyType: "HASH" as const },
          ...(g.rangeKey ? [{ AttributeName: g.rangeKey, KeyType: "RANGE" as const }] : []),
        ],
        Projection: { ProjectionType: g.projectionType as "ALL" | "KEYS_ONLY" },
      })),
      ...(kmsKeyArn
        ? { SSESpecification: { Enabled: true, SSEType: "KMS", KMSMasterKeyId: kmsKeyArn } }
        : {}),
    }),
  );
  await waitUntilTableExists({ client: ddb, maxWaitTime: 30 }, { TableName });
  await ddb.send(
    new UpdateTimeToLiveCommand({
      TableName,
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
    }),
  );
  return TableName;
}

export async function provisionLocalStack(
  prefix = `lethe-local-${randomUUID().slice(0, 6)}`,
): Promise<LocalStack> {
  const kms = makeKmsClient();
  const s3 = makeS3Client();
  const ddb = makeDynamoDbClient();
  const sqs = makeSqsClient();

  const key = await kms.send(new CreateKeyCommand({ Description: `${prefix}: lake, tables, queues` }));
  const kmsKeyArn = key.KeyMetadata!.Arn!;
  const hashKey = await kms.send(
    new CreateKeyCommand({
      Description: `${prefix}: keys subject hashes`,
      KeySpec: "HMAC_256",
      KeyUsage: "GENERATE_VERIFY_MAC",
    }),
  );
  const subjectHashKeyArn = hashKey.KeyMetadata!.Arn!;

  const lakeBucket = await createEncryptedBucket(s3, `${prefix}-lake`, kmsKeyArn);
  const auditBucket = await createEncryptedBucket(s3, `${prefix}-audit`, kmsKeyArn);

  const tables = {} as Record<TableRole, string>;
  for (const role of Object.keys(tableShapes) as TableRole[]) {
    tables[role] = await createTableOfShape(ddb, `${prefix}-${role}`, tableShapes[role], kmsKeyArn);
  }

  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${prefix}-purge-dlq`, Attributes: { KmsMasterKeyId: kmsKeyArn } }),
  );
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes!.QueueArn!;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-purge`,
      Attributes: {
        KmsMasterKeyId: kmsKeyArn,
        VisibilityTimeout: "900",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
      },
    }),
  );

  return {
    kmsKeyArn,
    subjectHashKeyArn,
    lakeBucket,
    auditBucket,
    tables,
    purgeQueueUrl: queue.QueueUrl!,
    purgeDeadLetterQueueUrl: dlq.QueueUrl!,
  };
}
