// Requests by state, a page at a time, over the requests table's byStatus index (status, deadline):
// what `GET /requests?state=open` answers. `open` walks every state that has not ended, one after
// another, each earliest deadline first. The cursor is opaque to callers (base64url of where the
// next page starts); it holds request ids and deadlines, never a subject.
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { UsageError } from "../contracts/errors";
import { endStates, erasureStates, ErasureState, isErasureState } from "../contracts/requests";
import { tableShapes } from "../contracts/tables";

export const byStatusIndex = tableShapes.requests.globalSecondaryIndexes[0].name;
export const openStates: readonly ErasureState[] = erasureStates.filter((s) => !endStates.includes(s));

export interface StatePagerOptions {
  /** Attributes to read (`#s` names the status); none: every attribute. */
  projection?: string;
  /** Only requests whose deadline is at or before this (ISO time). */
  deadlineUpTo?: string;
}

/**
 * Every request in one state, a page of the byStatus index at a time, earliest deadline first: the one
 * place the index is paged through whole (a caller stops early by leaving its loop).
 */
export async function* requestsInStatePages<T = Record<string, unknown>>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  status: ErasureState,
  options: StatePagerOptions = {},
): AsyncGenerator<T[]> {
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: byStatusIndex,
        KeyConditionExpression: options.deadlineUpTo ? "#s = :s AND deadline <= :upTo" : "#s = :s",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: {
          ":s": status,
          ...(options.deadlineUpTo ? { ":upTo": options.deadlineUpTo } : {}),
        },
        ...(options.projection ? { ProjectionExpression: options.projection } : {}),
        ScanIndexForward: true,
        ExclusiveStartKey,
      }),
    );
    yield (page.Items ?? []) as T[];
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

/** Every request in one state (the pages of `requestsInStatePages` joined). */
export async function requestsInState<T = Record<string, unknown>>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  status: ErasureState,
  options: StatePagerOptions = {},
): Promise<T[]> {
  const out: T[] = [];
  for await (const page of requestsInStatePages<T>(doc, tableName, status, options)) out.push(...page);
  return out;
}

/** How many requests are in one state (COUNT queries over the byStatus index: no item is read). */
export async function countInState(
  doc: DynamoDBDocumentClient,
  tableName: string,
  status: ErasureState,
): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: byStatusIndex,
        KeyConditionExpression: "#s = :s",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": status },
        Select: "COUNT",
        ExclusiveStartKey,
      }),
    );
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

export interface RequestListItem {
  requestId: string;
  state: ErasureState;
  deadline: string;
  receivedAt?: string;
  subjects?: number;
  batchId?: string;
}

export interface RequestPage {
  requests: RequestListItem[];
  nextCursor?: string;
}

export interface RequestListQuery {
  /** `open` or one state. */
  state: string;
  limit: number;
  cursor?: string;
}

interface Cursor {
  /** Index into the states walked. */
  s: number;
  /** The index's LastEvaluatedKey within that state. */
  k?: Record<string, unknown>;
}

export function statesOf(state: string): readonly ErasureState[] {
  if (state === "open") return openStates;
  if (isErasureState(state)) return [state];
  throw new UsageError(`state must be "open" or one of ${erasureStates.join(", ")}`);
}

function decodeCursor(cursor: string, states: number): Cursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Cursor;
    if (Number.isInteger(c.s) && c.s >= 0 && c.s < states && (c.k === undefined || typeof c.k === "object"))
      return c;
  } catch {
    // reported below
  }
  throw new UsageError("cursor is not a nextCursor this listing returned (for this state)");
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), "utf8").toString("base64url");
}

export async function listRequests(
  deps: { doc: DynamoDBDocumentClient; requestsTable: string },
  query: RequestListQuery,
): Promise<RequestPage> {
  const states = statesOf(query.state);
  let at: Cursor = query.cursor ? decodeCursor(query.cursor, states.length) : { s: 0 };
  const requests: RequestListItem[] = [];
  while (at.s < states.length && requests.length < query.limit) {
    const r = await deps.doc.send(
      new QueryCommand({
        TableName: deps.requestsTable,
        IndexName: byStatusIndex,
        KeyConditionExpression: "#s = :s",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": states[at.s] },
        Limit: query.limit - requests.length,
        ...(at.k ? { ExclusiveStartKey: at.k } : {}),
      }),
    );
    for (const item of r.Items ?? []) requests.push(listItem(item));
    at = r.LastEvaluatedKey ? { s: at.s, k: r.LastEvaluatedKey } : { s: at.s + 1 };
  }
  // A page that ends exactly at the end of the last state still says there may be more only when there is.
  return at.s < states.length ? { requests, nextCursor: encodeCursor(at) } : { requests };
}

function listItem(item: Record<string, unknown>): RequestListItem {
  return {
    requestId: String(item.requestId),
    state: item.status as ErasureState,
    deadline: String(item.deadline),
    ...(typeof item.receivedAt === "string" ? { receivedAt: item.receivedAt } : {}),
    ...(typeof item.subjectCount === "number" ? { subjects: item.subjectCount } : {}),
    ...(typeof item.batchId === "string" ? { batchId: item.batchId } : {}),
  };
}
