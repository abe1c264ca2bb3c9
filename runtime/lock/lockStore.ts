// Every DynamoDB call the mutex makes. Each write is conditional: a grant only succeeds on an absent or
// released item, or on the exact record version (RVN) the caller observed to be stale; a renewal or
// release only on the owner and RVN of the caller's own grant. A conditional failure returns the item
// as it is now (ReturnValuesOnConditionCheckFailure), so losing a race costs no extra read.
import {
  AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { LockOperation, storeError } from "./errors";
import { attr, decodeRecord, fencingFloor, LockRecord, ttlFor } from "./lockRecord";
import { MutexKey } from "./mutexKey";
import { ResolvedMutexOptions } from "./options";

/** Which item state a grant may replace. */
export type GrantCondition =
  /** No item, or one its holder released: nobody holds the lock. */
  | { kind: "free" }
  /** Exactly the record version we observed (a stale lock we take over, or a released one). */
  | { kind: "observed"; rvn: string };

export interface Lease {
  owner: string;
  rvn: string;
  leaseDurationMs: number;
  leaseExpiresAtMs: number;
}

export type WriteOutcome = { ok: true; record: LockRecord } | { ok: false; current: LockRecord | undefined };

export class LockStore {
  private readonly client: DynamoDBClient;

  constructor(private readonly options: ResolvedMutexOptions) {
    this.client = options.dynamoDbClient;
  }

  /** Strongly consistent read of a lock item. */
  async read(key: MutexKey): Promise<LockRecord | undefined> {
    const out = await this.call("read", key, () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: this.itemKey(key),
          ConsistentRead: true,
        }),
      ),
    );
    return decodeRecord(out.Item);
  }

  /** Grants `lease`; the fencing counter goes up by one (or starts at the time floor on a new item). */
  async grant(key: MutexKey, lease: Lease, condition: GrantCondition, nowMs: number): Promise<WriteOutcome> {
    const values: Record<string, AttributeValue> = {
      ...this.leaseValues(lease),
      ":true": { BOOL: true },
      ":floor": { N: String(fencingFloor(nowMs)) },
      ":one": { N: "1" },
    };
    let conditionExpression: string;
    if (condition.kind === "free") {
      conditionExpression = "attribute_not_exists(#pk) OR #held = :false";
      values[":false"] = { BOOL: false };
    } else {
      conditionExpression = "#rvn = :expectedRvn";
      values[":expectedRvn"] = { S: condition.rvn };
    }
    return this.write("acquire", key, lease.rvn, {
      UpdateExpression:
        "SET #owner = :owner, #rvn = :rvn, #held = :true, #dur = :dur, #exp = :exp, #ttl = :ttl, " +
        "#fence = if_not_exists(#fence, :floor) + :one",
      ConditionExpression: conditionExpression,
      ExpressionAttributeValues: values,
    });
  }

  /** Extends a lease we hold: only if the item still carries our owner and RVN. Moves the RVN on. */
  async renew(key: MutexKey, heldRvn: string, lease: Lease): Promise<WriteOutcome> {
    return this.write("renew", key, lease.rvn, {
      UpdateExpression: "SET #rvn = :rvn, #dur = :dur, #exp = :exp, #ttl = :ttl",
      ConditionExpression: "#owner = :owner AND #rvn = :heldRvn AND #held = :true",
      ExpressionAttributeValues: {
        ...this.leaseValues(lease),
        ":heldRvn": { S: heldRvn },
        ":true": { BOOL: true },
      },
    });
  }

  /**
   * Marks a lock we hold released, keeping the item (and its fencing counter): only if it still carries
   * our owner and RVN. Its TTL moves to a day from now, for clean-up only.
   */
  async release(
    key: MutexKey,
    owner: string,
    heldRvn: string,
    newRvn: string,
    nowMs: number,
  ): Promise<WriteOutcome> {
    return this.write("release", key, newRvn, {
      UpdateExpression: "SET #rvn = :rvn, #held = :false, #exp = :exp, #ttl = :ttl",
      ConditionExpression: "#owner = :owner AND #rvn = :heldRvn",
      ExpressionAttributeValues: {
        ":owner": { S: owner },
        ":rvn": { S: newRvn },
        ":heldRvn": { S: heldRvn },
        ":false": { BOOL: false },
        ":exp": { N: String(nowMs) },
        ":ttl": { N: String(ttlFor(nowMs)) },
      },
    });
  }

  private leaseValues(lease: Lease): Record<string, AttributeValue> {
    return {
      ":owner": { S: lease.owner },
      ":rvn": { S: lease.rvn },
      ":dur": { N: String(lease.leaseDurationMs) },
      ":exp": { N: String(lease.leaseExpiresAtMs) },
      ":ttl": { N: String(ttlFor(lease.leaseExpiresAtMs)) },
    };
  }

  /**
   * One conditional UpdateItem. `newRvn` is the RVN this write sets: if the condition fails but the item
   * already carries it, an earlier attempt of this same write landed (the SDK retried after a lost
   * response), so it counts as success.
   */
  private async write(
    operation: LockOperation,
    key: MutexKey,
    newRvn: string,
    request: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeValues: Record<string, AttributeValue>;
    },
  ): Promise<WriteOutcome> {
    const expressions = request;
    const names = usedNames(`${expressions.UpdateExpression} ${expressions.ConditionExpression}`, {
      "#pk": this.options.pkName,
      "#ttl": this.options.ttlName,
      "#owner": attr.owner,
      "#rvn": attr.rvn,
      "#held": attr.held,
      "#dur": attr.leaseDurationMs,
      "#exp": attr.leaseExpiresAtMs,
      "#fence": attr.fencingToken,
    });
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.itemKey(key),
          ...expressions,
          ExpressionAttributeNames: names,
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { ok: true, record: decodeRecord(out.Attributes)! };
    } catch (e) {
      if (
        e instanceof ConditionalCheckFailedException ||
        (e as Error)?.name === "ConditionalCheckFailedException"
      ) {
        const current = decodeRecord((e as ConditionalCheckFailedException).Item);
        if (current?.rvn === newRvn) return { ok: true, record: current };
        return { ok: false, current };
      }
      throw storeError(operation, key.hash, e);
    }
  }

  private async call<T>(operation: LockOperation, key: MutexKey, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw storeError(operation, key.hash, e);
    }
  }

  private itemKey(key: MutexKey): Record<string, AttributeValue> {
    return { [this.options.pkName]: { S: key.partitionKey }, [this.options.skName]: { S: key.sortKey } };
  }
}

/** DynamoDB rejects unused ExpressionAttributeNames, so pass only those the expressions mention. */
function usedNames(expressions: string, all: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(all).filter(([placeholder]) => expressions.includes(placeholder)));
}
