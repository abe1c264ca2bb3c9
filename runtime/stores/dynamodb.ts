// A DynamoDB table as a store: items are found by Query on the ID (the table's partition key or a GSI
// keyed by it; never Scan) and deleted one conditional DeleteItem each, many in flight at once.
//
// Why not BatchWriteItem: its deletes cannot carry a condition, so an item a writer changed (or moved
// to another subject) between the Query and the delete would go unseen. Why not TransactWriteItems:
// it costs two write units per item, and one changed item cancels all 100 of a transaction, which
// must then be taken apart from its cancellation reasons. A conditional DeleteItem costs one unit,
// succeeds or fails alone, and a throttled one is retried alone. Its condition: the ID attribute still
// holds the subject's ID (a GSI answer is eventually consistent, the item may belong to someone else
// by now), and, with `versionAttribute`, the version is the one the Query saw. An item that changed is
// found again and deleted with its new version (bounded rounds); verify queries again.
import {
  AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  QueryCommand,
  QueryCommandInput,
} from "@aws-sdk/client-dynamodb";
import { DynamoDbStoreConfig, storeDefaults } from "../contracts/stores";
import { mapLimit } from "./mapLimit";
import { EraseResult, FindResult, Store, StoreError, VerifyResult } from "./store";

export interface DynamoDbStoreOptions {
  /** Queries or deletes in flight (default 16). */
  concurrency?: number;
  /** Attempts per throttled delete beyond the SDK's own retries (default 6). */
  throttleAttempts?: number;
  /** First backoff between those attempts, doubled each time with jitter (default 100 ms). */
  backoffBaseMs?: number;
  /** Rounds of finding again the items that changed between Query and delete (default 3). */
  changedRounds?: number;
}

interface FoundItem {
  key: Record<string, AttributeValue>;
  id: AttributeValue;
  /** The version attribute as the Query saw it; undefined when the item has none. */
  version?: AttributeValue;
}

const throttleErrors = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

/** What the store sends its commands through (a DynamoDBClient; a test may wrap one to inject faults). */
export type DynamoDbSender = Pick<DynamoDBClient, "send">;

export function dynamoDbStore(
  client: DynamoDbSender,
  config: DynamoDbStoreConfig,
  options: DynamoDbStoreOptions = {},
): Store {
  const concurrency = options.concurrency ?? 16;
  const throttleAttempts = options.throttleAttempts ?? 6;
  const backoffBaseMs = options.backoffBaseMs ?? 100;
  const changedRounds = options.changedRounds ?? 3;
  const idType = config.idType ?? storeDefaults.idType;
  const keyNames = [config.indexName ? config.partitionKey! : config.idAttribute];
  if (config.sortKey) keyNames.push(config.sortKey);
  const fail = (reason: string): never => {
    throw new StoreError(config.name, reason);
  };

  const describe = (error: unknown): never => {
    const name = (error as { name?: string }).name ?? "Error";
    const message = (error as { message?: string }).message ?? String(error);
    if (name === "ResourceNotFoundException")
      return fail(
        config.indexName
          ? `DynamoDB table ${config.table} or its index ${config.indexName} does not exist (or this function may not query it)`
          : `DynamoDB table ${config.table} does not exist (or this function may not query it)`,
      );
    if (name === "ValidationException" && config.indexName && /index/i.test(message))
      return fail(
        `DynamoDB table ${config.table} has no index ${config.indexName} keyed by ${config.idAttribute}`,
      );
    if (throttleErrors.has(name))
      return fail(`DynamoDB throttled table ${config.table} beyond the retry budget (${name})`);
    return fail(`DynamoDB ${name} on table ${config.table}: ${message}`);
  };

  const queryItems = async (id: string): Promise<FoundItem[]> => {
    const names: Record<string, string> = { "#id": config.idAttribute };
    const projection = ["#id"];
    keyNames.forEach((k, i) => {
      names[`#k${i}`] = k;
      projection.push(`#k${i}`);
    });
    if (config.versionAttribute) {
      names["#v"] = config.versionAttribute;
      projection.push("#v");
    }
    const input: QueryCommandInput = {
      TableName: config.table,
      IndexName: config.indexName,
      KeyConditionExpression: "#id = :id",
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ":id": idType === "S" ? { S: id } : { N: id } },
      ProjectionExpression: projection.join(", "),
      // A GSI answers eventually consistently only; the base table can answer what was just written.
      ConsistentRead: config.indexName ? undefined : true,
    };
    const items: FoundItem[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client
        .send(new QueryCommand({ ...input, ExclusiveStartKey: start }))
        .catch(describe);
      for (const item of page.Items ?? []) {
        const key: Record<string, AttributeValue> = {};
        for (const k of keyNames) {
          if (item[k] === undefined)
            fail(
              `an item found on ${config.indexName ?? config.table} has no key attribute ${k} (check partitionKey/sortKey)`,
            );
          key[k] = item[k];
        }
        items.push({
          key,
          id: item[config.idAttribute],
          version: config.versionAttribute ? item[config.versionAttribute] : undefined,
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  const findAll = async (ids: readonly string[]): Promise<FoundItem[]> =>
    (await mapLimit(ids, concurrency, queryItems)).flat();

  /** Deletes one item if unchanged: "deleted", "changed" (condition failed), or throws. */
  const deleteItem = async (item: FoundItem): Promise<"deleted" | "changed"> => {
    const names: Record<string, string> = { "#id": config.idAttribute };
    const values: Record<string, AttributeValue> = { ":id": item.id };
    let condition = "#id = :id";
    if (config.versionAttribute) {
      names["#v"] = config.versionAttribute;
      if (item.version === undefined) condition += " AND attribute_not_exists(#v)";
      else {
        condition += " AND #v = :v";
        values[":v"] = item.version;
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: config.table,
            Key: item.key,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return "deleted";
      } catch (error) {
        const name = (error as { name?: string }).name ?? "";
        if (name === "ConditionalCheckFailedException") return "changed";
        if (!throttleErrors.has(name) || attempt >= throttleAttempts) return describe(error);
        const waitMs = backoffBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  };

  return {
    name: config.name,

    async find(ids): Promise<FindResult> {
      const items = await findAll(ids);
      return { count: items.length, byTable: { [config.table]: items.length } };
    },

    async erase(ids): Promise<EraseResult> {
      // The conditional delete is DynamoDB's If-Match; the fencing token has nothing to guard here.
      let deleted = 0;
      let changedSinceFound = 0;
      let pending = ids;
      for (let round = 0; pending.length > 0; round++) {
        if (round > changedRounds)
          fail(
            `items on table ${config.table} kept changing between find and delete for ${changedRounds} rounds`,
          );
        const changedIds = new Set<string>();
        const found = await mapLimit(pending, concurrency, async (id) => ({
          id,
          items: await queryItems(id),
        }));
        const work = found.flatMap(({ id, items }) => items.map((item) => ({ id, item })));
        const outcomes = await mapLimit(work, concurrency, (w) => deleteItem(w.item));
        outcomes.forEach((o, i) => {
          if (o === "deleted") deleted++;
          else {
            changedSinceFound++;
            changedIds.add(work[i].id);
          }
        });
        pending = [...changedIds];
      }
      return { deleted, changedSinceFound, byTable: { [config.table]: deleted } };
    },

    async verify(ids): Promise<VerifyResult> {
      const items = await findAll(ids);
      return { remaining: items.length, byTable: { [config.table]: items.length } };
    },
  };
}
