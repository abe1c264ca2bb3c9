// The index metastore (tableShapes.index: subject key -> object versions) after a purge: entries of
// the versions that were deleted go, whoever's subject they name (the version no longer exists; the
// version written in its place is indexed like any new object). Entries are found through the
// `byLocation` index, whose key is the location string below; the index's writer (the find step)
// owns that format, and this is the one function to change if it changes.
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { tableShapes } from "../../contracts/tables";

/** The location an index entry points at: one version of one object. */
export function indexedVersionLocation(bucket: string, key: string, versionId: string): string {
  return `s3://${bucket}/${key}?versionId=${versionId}`;
}

/** Deletes every index entry of the given versions; returns how many went. */
export async function removeIndexEntriesOfDeletedVersions(
  doc: DynamoDBDocumentClient,
  tableName: string,
  bucket: string,
  key: string,
  versionIds: readonly string[],
): Promise<number> {
  const shape = tableShapes.index;
  const byLocation = shape.globalSecondaryIndexes[0];
  let removed = 0;
  for (const versionId of versionIds) {
    const location = indexedVersionLocation(bucket, key, versionId);
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: byLocation.name,
          KeyConditionExpression: "#l = :l",
          ExpressionAttributeNames: { "#l": byLocation.hashKey },
          ExpressionAttributeValues: { ":l": location },
          ExclusiveStartKey: start,
        }),
      );
      const keys = (page.Items ?? []).map((i) => ({
        [shape.hashKey]: i[shape.hashKey],
        [shape.rangeKey]: i[shape.rangeKey],
      }));
      for (let i = 0; i < keys.length; i += 25) {
        let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
        while (pending.length) {
          const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
          pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
        }
      }
      removed += keys.length;
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return removed;
}
