// DynamoDB: each table with its keys, indexes, billing, encryption, TTL, point-in-time recovery and
// tags, as declared. An existing table is kept (its TTL and tags brought in line).
import {
  BillingMode,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  KeySchemaElement,
  ProjectionType,
  ScalarAttributeType,
  TableDescription,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from "@aws-sdk/client-dynamodb";
import { Declared, isMissing, LocalContext, recordLocal, ResourceTranslator, tagList } from "../context";

async function describe(ddb: DynamoDBClient, TableName: string): Promise<TableDescription | undefined> {
  try {
    return (await ddb.send(new DescribeTableCommand({ TableName }))).Table;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

function keySchema(hashKey: string, rangeKey?: string): KeySchemaElement[] {
  return [
    { AttributeName: hashKey, KeyType: "HASH" },
    ...(rangeKey ? [{ AttributeName: rangeKey, KeyType: "RANGE" as const }] : []),
  ];
}

async function tableUp(r: Declared, ctx: LocalContext): Promise<void> {
  const ddb = ctx.clients.dynamodb;
  const i = r.inputs;
  const TableName = r.mocked.name as string;
  let table = await describe(ddb, TableName);
  if (!table) {
    const sse = i.serverSideEncryption;
    await ddb.send(
      new CreateTableCommand({
        TableName,
        BillingMode: (i.billingMode ?? "PAY_PER_REQUEST") as BillingMode,
        KeySchema: keySchema(i.hashKey, i.rangeKey),
        AttributeDefinitions: (i.attributes as { name: string; type: string }[]).map((a) => ({
          AttributeName: a.name,
          AttributeType: a.type as ScalarAttributeType,
        })),
        ...(i.globalSecondaryIndexes?.length
          ? {
              GlobalSecondaryIndexes: (
                i.globalSecondaryIndexes as {
                  name: string;
                  hashKey: string;
                  rangeKey?: string;
                  projectionType: string;
                  nonKeyAttributes?: string[];
                }[]
              ).map((g) => ({
                IndexName: g.name,
                KeySchema: keySchema(g.hashKey, g.rangeKey),
                Projection: {
                  ProjectionType: g.projectionType as ProjectionType,
                  ...(g.nonKeyAttributes?.length ? { NonKeyAttributes: g.nonKeyAttributes } : {}),
                },
              })),
            }
          : {}),
        ...(sse?.enabled
          ? {
              SSESpecification: {
                Enabled: true,
                SSEType: "KMS",
                ...(sse.kmsKeyArn ? { KMSMasterKeyId: sse.kmsKeyArn } : {}),
              },
            }
          : {}),
        DeletionProtectionEnabled: i.deletionProtectionEnabled === true,
      }),
    );
    await waitUntilTableExists({ client: ddb, maxWaitTime: 60 }, { TableName });
    table = await describe(ddb, TableName);
    if (i.pointInTimeRecovery?.enabled)
      await ddb.send(
        new UpdateContinuousBackupsCommand({
          TableName,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      );
  }
  if (i.ttl?.enabled) {
    const ttl = (await ddb.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription;
    if (ttl?.TimeToLiveStatus !== "ENABLED" || ttl.AttributeName !== i.ttl.attributeName)
      await ddb.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: i.ttl.attributeName, Enabled: true },
        }),
      );
  }
  if (i.tags && Object.keys(i.tags).length)
    await ddb.send(new TagResourceCommand({ ResourceArn: table!.TableArn, Tags: tagList(i.tags) }));
  recordLocal(ctx, r.mocked.arn, table!.TableArn);
}

async function tableDown(r: Declared, ctx: LocalContext): Promise<void> {
  const ddb = ctx.clients.dynamodb;
  const TableName = r.mocked.name as string;
  const table = await describe(ddb, TableName);
  if (!table) return;
  // Removing the local stack is the caller's explicit intent: protection is for deployed stacks.
  if (table.DeletionProtectionEnabled)
    await ddb.send(new UpdateTableCommand({ TableName, DeletionProtectionEnabled: false }));
  await ddb.send(new DeleteTableCommand({ TableName }));
  await waitUntilTableNotExists({ client: ddb, maxWaitTime: 60 }, { TableName });
}

export const dynamodbTranslators: Record<string, ResourceTranslator> = {
  "aws:dynamodb/table:Table": { up: tableUp, down: tableDown },
};
