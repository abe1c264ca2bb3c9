// MutexClient options (names and defaults from seed 000) and their validation.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { makeDynamoDbClient } from "../aws/clients";
import { LockConfigError } from "./errors";

export interface MutexClientOptions {
  /** Name of this client, stored as the lock's owner. Default: host, pid and a random suffix. */
  clientName?: string;
  /** Partition key attribute of the lock table (default "pk"). */
  pkName?: string;
  /** Sort key attribute of the lock table (default "sk"). */
  skName?: string;
  /** Attribute the table's TTL reads, epoch seconds (default "ttl"). TTL only cleans up. */
  ttlName?: string;
  /** The DynamoDB client to use. Default: one built by runtime/aws/clients. */
  dynamoDbClient?: DynamoDBClient;
  /** Lock table name (default "distributedMutex", the seed's; Lethe passes its `locks` table). */
  tableName?: string;
  /** Seconds a grant or renewal reserves the lock for (default 30). */
  defaultLeaseDuration?: number;
  /** Renew held locks in the background every defaultLeaseDuration / 3 (default false). */
  autoRenew?: boolean;
  /** Seconds between polls of a held lock; each wait adds up to 2 x this of random jitter (default 1). */
  refreshWaitTime?: number;
  /** Seconds acquireLock keeps trying before it returns undefined (default 60). */
  maxTimeout?: number;
  /**
   * Seconds by which any two clients' wall clocks may differ (default 1). A lock is stale, and can be
   * taken over, once its stored lease expiry plus this allowance has passed on the waiter's clock.
   */
  clockSkewAllowance?: number;
}

export interface ResolvedMutexOptions {
  clientName: string;
  pkName: string;
  skName: string;
  ttlName: string;
  dynamoDbClient: DynamoDBClient;
  tableName: string;
  /** All durations in milliseconds from here on. */
  leaseMs: number;
  autoRenew: boolean;
  refreshWaitMs: number;
  maxTimeoutMs: number;
  clockSkewMs: number;
}

export function resolveMutexOptions(options: MutexClientOptions = {}): ResolvedMutexOptions {
  const names = {
    pkName: name("pkName", options.pkName, "pk"),
    skName: name("skName", options.skName, "sk"),
    ttlName: name("ttlName", options.ttlName, "ttl"),
  };
  if (new Set(Object.values(names)).size !== 3) {
    throw new LockConfigError("pkName, skName and ttlName must be three different attribute names");
  }
  const leaseMs = seconds("defaultLeaseDuration", options.defaultLeaseDuration, 30, 0.1);
  return {
    ...names,
    clientName: name("clientName", options.clientName || undefined, defaultClientName()),
    dynamoDbClient: options.dynamoDbClient ?? makeDynamoDbClient(),
    tableName: name("tableName", options.tableName, "distributedMutex"),
    leaseMs,
    autoRenew: options.autoRenew ?? false,
    refreshWaitMs: seconds("refreshWaitTime", options.refreshWaitTime, 1, 0.001),
    maxTimeoutMs: seconds("maxTimeout", options.maxTimeout, 60, 0),
    clockSkewMs: seconds("clockSkewAllowance", options.clockSkewAllowance, 1, 0),
  };
}

function name(option: string, value: string | undefined, fallback: string): string {
  const v = value ?? fallback;
  if (typeof v !== "string" || v.trim() === "") {
    throw new LockConfigError(`MutexClient option ${option} must be a non-empty string`);
  }
  return v;
}

function seconds(option: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new LockConfigError(`MutexClient option ${option} must be a number of seconds >= ${min}, got ${v}`);
  }
  return Math.round(v * 1000);
}

function defaultClientName(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}
