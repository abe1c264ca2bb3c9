// A lock table declared like the program's (pk, sk, TTL on ttl), created in the local emulator for one
// test file or benchmark.
import { randomUUID } from "node:crypto";
import { AttributeValue, GetItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createTableLike } from "./localStack";
import { MutexClient, MutexClientOptions } from "../runtime/lock";

export async function createLockTable(ddb: DynamoDBClient, prefix = "lethe-locks"): Promise<string> {
  return createTableLike("locks", `${prefix}-${randomUUID().slice(0, 8)}`, { dynamodb: ddb });
}

/** Reads a lock item as stored (no decoding), to check what a call did or did not change. */
export async function rawItem(
  ddb: DynamoDBClient,
  TableName: string,
  pk: string,
  sk = "lock",
): Promise<Record<string, AttributeValue> | undefined> {
  const out = await ddb.send(
    new GetItemCommand({ TableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return out.Item;
}

/** A MutexClient on `tableName` with short, test-sized durations (seconds), overridable. */
export function testMutex(
  ddb: DynamoDBClient,
  tableName: string,
  clientName: string,
  overrides: Partial<MutexClientOptions> = {},
): MutexClient {
  return new MutexClient({
    clientName,
    dynamoDbClient: ddb,
    tableName,
    defaultLeaseDuration: 1,
    refreshWaitTime: 0.05,
    maxTimeout: 10,
    clockSkewAllowance: 0.2,
    ...overrides,
  });
}

export const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
