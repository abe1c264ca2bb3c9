// The audit trail: one item per step of an erasure, keyed by request and time, holding hashed
// subjects and object locations only, never a raw customer ID.
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";

export interface AuditEntry {
  requestId: string;
  /** ISO time plus a monotonic-clock suffix, so two steps in one millisecond keep their order. */
  at: string;
  step: string;
  detail: Record<string, unknown>;
  ttl: number;
}

export interface AuditSettings {
  tableName: string;
  retentionDays: number;
  now?: () => Date;
}

export async function appendAudit(
  doc: DynamoDBDocumentClient,
  settings: AuditSettings,
  requestId: string,
  step: string,
  detail: Record<string, unknown>,
): Promise<AuditEntry> {
  const now = (settings.now ?? (() => new Date()))();
  const entry: AuditEntry = {
    requestId,
    // No module-level counter: runtime modules are serialized by value into Lambdas (docs/lambda-functions.md).
    at: `${now.toISOString()}#${process.hrtime.bigint().toString().padStart(20, "0")}`,
    step,
    detail,
    ttl: Math.floor(now.getTime() / 1000) + settings.retentionDays * 86_400,
  };
  await doc.send(new PutCommand({ TableName: settings.tableName, Item: entry }));
  return entry;
}

export async function readAudit(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requestId: string,
): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "requestId = :r",
        ExpressionAttributeValues: { ":r": requestId },
        ExclusiveStartKey,
        ConsistentRead: true,
      }),
    );
    out.push(...((page.Items ?? []) as AuditEntry[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}
