// The index metastore in DynamoDB: one item per (subject hash, object version) with its row count.
// Writes and deletes go in batches of 25 with unprocessed items retried; a version's entries are found
// through the byLocation index when the version is deleted.
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { IndexEntry, indexSortKey, tableShapes } from "../../contracts/tables";
import { keyParts } from "../../subjects/matcher";

/** The keyed hash a subject is indexed under (runtime/subjects/subjectHash.ts or a KMS-keyed hasher). */
export type HashSubject = (key: readonly string[]) => string;

export interface IndexedVersion {
  mapper: string;
  bucket: string;
  key: string;
  versionId?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function batchWrite(doc: DynamoDBDocumentClient, table: string, requests: Record<string, unknown>[]) {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: Record<string, unknown>[] = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`index table ${table}: ${pending.length} writes still unprocessed`);
      if (attempt > 0) await sleep(50 * 2 ** attempt);
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined) ?? [];
    }
  }
}

/** Replaces the entries of one object version with one per key it holds. */
export async function writeVersionEntries(
  doc: DynamoDBDocumentClient,
  table: string,
  version: IndexedVersion,
  /** Each key as `keyText` writes it (runtime/subjects/matcher.ts), with its rows. */
  keys: ReadonlyMap<string, number>,
  idColumns: number,
  hashSubject: HashSubject,
  now = new Date(),
): Promise<number> {
  const versionId = version.versionId ?? "null";
  const sk = indexSortKey(version.mapper, version.bucket, version.key, versionId);
  const byHash = new Map<string, number>();
  for (const [key, rows] of keys) {
    const pk = hashSubject(keyParts(key, idColumns));
    byHash.set(pk, (byHash.get(pk) ?? 0) + rows);
  }
  const stale = (await entriesAt(doc, table, sk)).filter((pk) => !byHash.has(pk));
  const puts = [...byHash].map(([pk, rows]) => ({
    PutRequest: {
      Item: {
        pk,
        sk,
        mapper: version.mapper,
        bucket: version.bucket,
        key: version.key,
        versionId,
        rows,
        indexedAt: now.toISOString(),
      } satisfies IndexEntry,
    },
  }));
  await batchWrite(doc, table, [...puts, ...stale.map((pk) => ({ DeleteRequest: { Key: { pk, sk } } }))]);
  return puts.length;
}

/** Removes every entry of a version that no longer exists. */
export async function removeVersionEntries(
  doc: DynamoDBDocumentClient,
  table: string,
  version: IndexedVersion,
): Promise<number> {
  const sk = indexSortKey(version.mapper, version.bucket, version.key, version.versionId ?? "null");
  const pks = await entriesAt(doc, table, sk);
  await batchWrite(
    doc,
    table,
    pks.map((pk) => ({ DeleteRequest: { Key: { pk, sk } } })),
  );
  return pks.length;
}

async function entriesAt(doc: DynamoDBDocumentClient, table: string, sk: string): Promise<string[]> {
  const index = tableShapes.index.globalSecondaryIndexes[0].name;
  const pks: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: index,
        KeyConditionExpression: "sk = :sk",
        ExpressionAttributeValues: { ":sk": sk },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) pks.push(String(item.pk));
    start = out.LastEvaluatedKey;
  } while (start);
  return pks;
}

/** Every indexed version holding any of the subjects, for the mappers given (all when omitted). */
export async function lookupSubjects(
  doc: DynamoDBDocumentClient,
  table: string,
  subjects: readonly (readonly string[])[],
  hashSubject: HashSubject,
  concurrency = 16,
): Promise<IndexEntry[]> {
  const hashes = [...new Set(subjects.map((s) => hashSubject(s)))];
  const out: IndexEntry[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, hashes.length) }, async () => {
      while (next < hashes.length) {
        const pk = hashes[next++];
        let start: Record<string, unknown> | undefined;
        do {
          const page = await doc.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: "pk = :pk",
              ExpressionAttributeValues: { ":pk": pk },
              ExclusiveStartKey: start,
            }),
          );
          out.push(...((page.Items ?? []) as IndexEntry[]));
          start = page.LastEvaluatedKey;
        } while (start);
      }
    }),
  );
  return out;
}
