// One way to move a request or a batch from one state to another: a conditional UpdateItem that
// succeeds only from a state `allowedMoves` lets lead to the target, so racing writers (a cancel and
// the state machine, two approvers) cannot both win and an ended item never moves again.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ErasureState, isErasureState, statesMovingTo } from "../contracts/requests";

/** A move the item's current state does not allow; ItemNotFound (below) when there is no item. */
export class StateMoveRefused extends Error {
  constructor(
    readonly what: string,
    readonly current: ErasureState | undefined,
    readonly wanted: ErasureState,
  ) {
    const message =
      current === undefined ? `${what} does not exist` : `${what} is ${current}; it cannot become ${wanted}`;
    super(message);
    this.message = message;
    this.name = "StateMoveRefused";
  }
}

/**
 * A move (or a read) of an item that does not exist: a StateMoveRefused still (callers that refuse
 * any move catch both), named apart so a caller, and Lambda's errorType, tell "unknown id" (HTTP 404)
 * from "not allowed now" (409).
 */
export class ItemNotFound extends StateMoveRefused {
  constructor(what: string, wanted: ErasureState) {
    super(what, undefined, wanted);
    this.name = "ItemNotFound";
  }
}

/** The error for a move refused while the item is `current` (ItemNotFound when there is none). */
export function refusedMove(
  what: string,
  current: ErasureState | undefined,
  wanted: ErasureState,
): StateMoveRefused {
  return current === undefined ? new ItemNotFound(what, wanted) : new StateMoveRefused(what, current, wanted);
}

export interface StateMoveTarget {
  tableName: string;
  key: Record<string, string>;
  /** The attribute holding the state (`status` on requests, `state` on batches). */
  stateAttribute: string;
  /** How the item is named in errors: `request <id>`, `batch <id>`. */
  what: string;
}

/**
 * Moves the item to `to`, setting `set` (plain attribute values) and removing `remove` in the same write.
 * Returns the item as it is after the move.
 */
export async function moveState(
  doc: DynamoDBDocumentClient,
  target: StateMoveTarget,
  to: ErasureState,
  set: Record<string, unknown> = {},
  remove: string[] = [],
): Promise<Record<string, unknown>> {
  const from = statesMovingTo(to);
  const names: Record<string, string> = { "#state": target.stateAttribute };
  const values: Record<string, unknown> = { ":to": to };
  from.forEach((s, i) => (values[`:from${i}`] = s));
  const sets = ["#state = :to"];
  Object.entries(set).forEach(([k, v], i) => {
    names[`#s${i}`] = k;
    values[`:s${i}`] = v;
    sets.push(`#s${i} = :s${i}`);
  });
  remove.forEach((k, i) => (names[`#r${i}`] = k));
  const keyNames = Object.keys(target.key);
  keyNames.forEach((k, i) => (names[`#k${i}`] = k));
  const exists = keyNames.map((_, i) => `attribute_exists(#k${i})`).join(" AND ");
  const condition = `${exists} AND #state IN (${from.map((_, i) => `:from${i}`).join(", ")})`;
  try {
    // Nothing leads to the initial state: an item starts there when it is created, never by a move.
    if (from.length === 0)
      throw new ConditionalCheckFailedException({ message: "no move leads here", $metadata: {} });
    const r = await doc.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: target.key,
        ConditionExpression: condition,
        UpdateExpression: `SET ${sets.join(", ")}${remove.length ? ` REMOVE ${remove.map((_, i) => `#r${i}`).join(", ")}` : ""}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      }),
    );
    return r.Attributes ?? {};
  } catch (err) {
    if (
      err instanceof ConditionalCheckFailedException ||
      (err as Error).name === "ConditionalCheckFailedException"
    ) {
      const current = await doc.send(
        new GetCommand({ TableName: target.tableName, Key: target.key, ConsistentRead: true }),
      );
      const state = current.Item?.[target.stateAttribute];
      throw refusedMove(target.what, isErasureState(state) ? state : undefined, to);
    }
    throw err;
  }
}
