// The name of one lockable resource: the lock item's partition and sort key.
import { createHash } from "node:crypto";
import { LockConfigError } from "./errors";

/** DynamoDB's key size limits (UTF-8 bytes). */
const maxPartitionKeyBytes = 2048;
const maxSortKeyBytes = 1024;

export class MutexKey {
  /** A short, stable digest of the key: what logs and error messages show instead of the key itself. */
  readonly hash: string;

  constructor(
    readonly partitionKey: string,
    /** One resource per partition key is the common case, so the sort key defaults to "lock". */
    readonly sortKey: string = "lock",
  ) {
    checkPart("partitionKey", partitionKey, maxPartitionKeyBytes);
    checkPart("sortKey", sortKey, maxSortKeyBytes);
    this.hash = createHash("sha256")
      .update(partitionKey)
      .update("\0")
      .update(sortKey)
      .digest("hex")
      .slice(0, 16);
  }

  /** Never the raw key: a key may identify a customer. */
  toString(): string {
    return `MutexKey(${this.hash})`;
  }
}

function checkPart(name: string, value: unknown, maxBytes: number): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new LockConfigError(`MutexKey ${name} must be a non-empty string`);
  }
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > maxBytes) {
    throw new LockConfigError(`MutexKey ${name} is ${bytes} bytes; DynamoDB allows at most ${maxBytes}`);
  }
}
