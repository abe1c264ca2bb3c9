// The opt-out registry over the optOut table (hash key customerId): who asked that their data never
// be ingested again, with the request that said so and when. The ingest guard confirms bloom-filter
// positives here; the filter builder pages through every ID.
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { NativeAttributeValue } from "@aws-sdk/lib-dynamodb";

export const OPT_OUT_KEY = "customerId";
/** BatchGetItem's limit per request. */
const BATCH_GET_LIMIT = 100;
/** BatchWriteItem's limit per request. */
const BATCH_WRITE_LIMIT = 25;
/** BatchWriteItem calls in flight at once when registering many IDs. */
const WRITE_CONCURRENCY = 8;

export interface OptOutEntry {
  customerId: string;
  /** The erasure or opt-out request that registered it. */
  requestRef: string;
  /** ISO-8601 UTC. */
  optedOutAt: string;
}

export interface OptOutRegistryOptions {
  /** Rounds of retrying UnprocessedKeys before giving up (each waits longer). */
  maxUnprocessedRetries?: number;
  /** First back-off in ms, doubled each round, with jitter. */
  retryBaseMs?: number;
}

/** What the ingest guard needs: which of these IDs are opted out. */
export interface OptOutLookup {
  optedOut(customerIds: readonly string[]): Promise<Set<string>>;
}

export class OptOutRegistry implements OptOutLookup {
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  /** DynamoDB keys asked for so far (each BatchGetItem key, retries included): the cost the filter saves. */
  keysRequested: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    options: OptOutRegistryOptions = {},
  ) {
    if (!tableName) throw new Error("opt-out registry: table name is empty");
    this.maxRetries = options.maxUnprocessedRetries ?? 8;
    this.retryBaseMs = options.retryBaseMs ?? 50;
    this.keysRequested = 0;
  }

  /** Registers an opt-out (idempotent: a repeat keeps the latest request reference and time). */
  async add(customerId: string, requestRef: string, at: Date = new Date()): Promise<void> {
    assertId(customerId);
    if (!requestRef) throw new Error("opt-out registry: a request reference is required");
    const item: OptOutEntry = { customerId, requestRef, optedOutAt: at.toISOString() };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /**
   * Registers many opt-outs at once (BatchWriteItem, 25 a call, several calls in flight, unprocessed
   * items retried with back-off), as an erasure's intake does for up to 10,000 subjects. An ID that is
   * registered already keeps its entry: its `requestRef` stays the first request that holds it (a
   * completed erasure whose request item has expired still holds it), which is what `release` reads.
   * Returns the IDs it registered (those that were not yet).
   */
  async addMany(
    customerIds: readonly string[],
    requestRef: string,
    at: Date = new Date(),
  ): Promise<string[]> {
    if (!requestRef) throw new Error("opt-out registry: a request reference is required");
    customerIds.forEach(assertId);
    const optedOutAt = at.toISOString();
    const registered = await this.optedOut(customerIds);
    const unique = [...new Set(customerIds)].filter((id) => !registered.has(id));
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_WRITE_LIMIT)
      chunks.push(unique.slice(i, i + BATCH_WRITE_LIMIT));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++];
        let requests = chunk.map((customerId) => ({
          PutRequest: { Item: { customerId, requestRef, optedOutAt } as OptOutEntry },
        }));
        for (let attempt = 0; requests.length > 0; attempt++) {
          if (attempt > this.maxRetries)
            throw new Error(
              `opt-out registry: ${requests.length} opt-outs still unprocessed after ${this.maxRetries} retries (throttled)`,
            );
          if (attempt > 0) await sleep(this.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
          const out = await this.doc.send(
            new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
          );
          requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, chunks.length) }, worker));
    return unique;
  }

  /** Opts a customer back in (an operator's explicit opt-in, whoever registered it). */
  async remove(customerId: string): Promise<void> {
    assertId(customerId);
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [OPT_OUT_KEY]: customerId } }));
  }

  /** The entries of those of `customerIds` that are registered (BatchGetItem, 100 keys a call). */
  async entries(customerIds: readonly string[]): Promise<Map<string, OptOutEntry>> {
    const items = (await this.batchGet(customerIds, false)) as unknown as OptOutEntry[];
    return new Map(items.map((item) => [item.customerId, item]));
  }

  /** The items of `customerIds` (only their keys with `keysOnly`), unprocessed keys retried with back-off. */
  private async batchGet(
    customerIds: readonly string[],
    keysOnly: boolean,
  ): Promise<Record<string, NativeAttributeValue>[]> {
    const found: Record<string, NativeAttributeValue>[] = [];
    const unique = [...new Set(customerIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, NativeAttributeValue>[] = unique
        .slice(i, i + BATCH_GET_LIMIT)
        .map((id) => ({ [OPT_OUT_KEY]: id }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > this.maxRetries) {
          throw new Error(
            `opt-out registry: ${keys.length} keys still unprocessed after ${this.maxRetries} retries (throttled)`,
          );
        }
        if (attempt > 0) await sleep(this.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
        this.keysRequested += keys.length;
        const out = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: keysOnly
                ? { Keys: keys, ProjectionExpression: "#k", ExpressionAttributeNames: { "#k": OPT_OUT_KEY } }
                : { Keys: keys, ConsistentRead: true },
            },
          }),
        );
        found.push(...(out.Responses?.[this.tableName] ?? []));
        keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, NativeAttributeValue>[];
      }
    }
    return found;
  }

  /**
   * Hands a subject from the request that held it to `to` (another request that still holds it);
   * false when the entry no longer names `from` (a later change won).
   */
  async reassign(customerId: string, from: string, to: string): Promise<boolean> {
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [OPT_OUT_KEY]: customerId },
        ConditionExpression: "requestRef = :from",
        UpdateExpression: "SET requestRef = :to",
        ExpressionAttributeValues: { ":from": from, ":to": to },
      }),
    );
  }

  /**
   * Opts a subject back in because the request `requestRef` that held it ended without erasing
   * (cancelled, rejected); false when the entry names another request (which holds it still).
   */
  async release(customerId: string, requestRef: string): Promise<boolean> {
    return this.conditionally(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { [OPT_OUT_KEY]: customerId },
        ConditionExpression: "requestRef = :r",
        ExpressionAttributeValues: { ":r": requestRef },
      }),
    );
  }

  private async conditionally(command: UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await this.doc.send(command as DeleteCommand);
      return true;
    } catch (err) {
      if ((err as Error).name === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  /** The opted-out subset of `customerIds`, via BatchGetItem (100 keys a call, unprocessed keys retried). */
  async optedOut(customerIds: readonly string[]): Promise<Set<string>> {
    return new Set((await this.batchGet(customerIds, true)).map((item) => item[OPT_OUT_KEY] as string));
  }

  /** Every opted-out ID, a page (one Scan call, up to 1 MB unless `pageSize` caps it) at a time. */
  async *pages(pageSize?: number): AsyncGenerator<string[]> {
    let start: Record<string, NativeAttributeValue> | undefined;
    do {
      const out = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          ProjectionExpression: "#k",
          ExpressionAttributeNames: { "#k": OPT_OUT_KEY },
          Limit: pageSize,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      yield (out.Items ?? []).map((item) => item[OPT_OUT_KEY] as string);
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** Every opted-out ID. */
  async allIds(pageSize?: number): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of this.pages(pageSize)) for (const id of page) ids.push(id);
    return ids;
  }
}

function assertId(customerId: string): void {
  if (typeof customerId !== "string" || customerId === "") {
    throw new Error("opt-out registry: customer ID must be a non-empty string");
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
