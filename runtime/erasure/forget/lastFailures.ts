// The last purge failures recorded in the errors table (./errorRecords.ts), newest first: what the
// console's operations page lists. The table is keyed by batch and holds only failures awaiting a
// person (they expire after lethe:errorRetentionDays), so it is read whole, a bounded number of items.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface FailureSummary {
  recordedAt: string;
  batchId?: string;
  kind: string;
  reason: string;
  mapper?: string;
  /** `s3://bucket/key` of the object that could not be purged (an object, never a subject). */
  object?: string;
}

/** Most items read to find the newest. */
export const maxFailuresRead = 1000;

export async function lastFailures(
  deps: { doc: DynamoDBDocumentClient; errorsTable: string },
  count = 10,
): Promise<FailureSummary[]> {
  const found: FailureSummary[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.doc.send(
      new ScanCommand({
        TableName: deps.errorsTable,
        ProjectionExpression: "recordedAt, batchId, kind, reason, mapper, #b, #k",
        ExpressionAttributeNames: { "#b": "bucket", "#k": "key" },
        ExclusiveStartKey,
      }),
    );
    for (const i of page.Items ?? [])
      found.push({
        recordedAt: String(i.recordedAt ?? ""),
        ...(typeof i.batchId === "string" ? { batchId: i.batchId } : {}),
        kind: String(i.kind ?? "unknown"),
        reason: String(i.reason ?? ""),
        ...(typeof i.mapper === "string" ? { mapper: i.mapper } : {}),
        ...(typeof i.bucket === "string" && typeof i.key === "string"
          ? { object: `s3://${i.bucket}/${i.key}` }
          : {}),
      });
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && found.length < maxFailuresRead);
  return found.sort((a, b) => b.recordedAt.localeCompare(a.recordedAt)).slice(0, count);
}
