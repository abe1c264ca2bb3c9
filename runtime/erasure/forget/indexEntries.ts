// The index metastore (tableShapes.index: subject key -> object versions) after a purge: entries of
// the versions that were deleted go, whoever's subject they name (the version no longer exists; the
// version written in its place is indexed like any new object). They are found by the very location
// the indexer writes them under (indexStore.ts), so what one writes the other removes.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { removeVersionEntries } from "../metastore/indexStore";

/** Deletes every index entry of the given versions of one mapper's object; returns how many went. */
export async function removeIndexEntriesOfDeletedVersions(
  doc: DynamoDBDocumentClient,
  tableName: string,
  object: { mapper: string; bucket: string; key: string },
  versionIds: readonly string[],
): Promise<number> {
  let removed = 0;
  for (const versionId of versionIds) {
    removed += await removeVersionEntries(doc, tableName, { ...object, versionId });
  }
  return removed;
}
