// Key design of every Lethe DynamoDB table, shared by the Pulumi program (infra/erasure/erasureTables.ts),
// the runtime modules and the local emulator set-up, so all three agree on names.

/** The attribute every table's TTL reads (epoch seconds). Items without it never expire. */
export const ttlAttribute = "ttl";

/** The tag naming each table's role (a key of `tableShapes`), so tools find a table by what it is for. */
export const tableRoleTag = "lethe:table";

export interface TableShape {
  hashKey: string;
  rangeKey?: string;
  attributes: { name: string; type: "S" | "N" }[];
  globalSecondaryIndexes?: { name: string; hashKey: string; rangeKey?: string; projectionType: string }[];
  description: string;
}

/** Key design of each table; runtime modules use the same names. */
export const tableShapes = {
  requests: {
    description: "Erasure requests and their state; TTL removes finished ones after the retention period",
    hashKey: "requestId",
    attributes: [
      { name: "requestId", type: "S" },
      { name: "status", type: "S" },
      { name: "deadline", type: "S" },
    ],
    globalSecondaryIndexes: [
      { name: "byStatus", hashKey: "status", rangeKey: "deadline", projectionType: "ALL" },
    ],
  },
  index: {
    description: "Index metastore: a subject's keyed hash -> every object version holding their rows",
    hashKey: "pk",
    rangeKey: "sk",
    attributes: [
      { name: "pk", type: "S" },
      { name: "sk", type: "S" },
    ],
    globalSecondaryIndexes: [
      { name: "byLocation", hashKey: "sk", rangeKey: "pk", projectionType: "KEYS_ONLY" },
    ],
  },
  optOut: {
    description: "Opt-out registry read by the ingest guard",
    hashKey: "customerId",
    attributes: [{ name: "customerId", type: "S" }],
  },
  locks: {
    description: "Distributed mutex (seed 000): one item per locked resource",
    hashKey: "pk",
    rangeKey: "sk",
    attributes: [
      { name: "pk", type: "S" },
      { name: "sk", type: "S" },
    ],
  },
  ledger: {
    description:
      "Forget ledger: per batch, one item per object and round (outcome, rows, versions, bytes, fencing token) and a summary item with counters and the batch's status",
    hashKey: "pk",
    rangeKey: "sk",
    attributes: [
      { name: "pk", type: "S" },
      { name: "sk", type: "S" },
    ],
  },
  errors: {
    description: "Purge failures awaiting manual adjudication",
    hashKey: "pk",
    rangeKey: "sk",
    attributes: [
      { name: "pk", type: "S" },
      { name: "sk", type: "S" },
    ],
  },
  audit: {
    description: "Audit trail of every erasure step (hashed identifiers only, no PII)",
    hashKey: "requestId",
    rangeKey: "at",
    attributes: [
      { name: "requestId", type: "S" },
      { name: "at", type: "S" },
    ],
  },
  idempotency: {
    description:
      "Powertools idempotency records of the request function: an Idempotency-Key's first reply, replayed to a retry",
    hashKey: "id",
    attributes: [{ name: "id", type: "S" }],
  },
} satisfies Record<string, TableShape>;

export type TableRole = keyof typeof tableShapes;

/**
 * An index entry: `pk` is the subject's keyed hash (never the ID), `sk` names the object version, so
 * the `byLocation` index finds every entry of a version when it is deleted.
 */
export interface IndexEntry {
  pk: string;
  sk: string;
  mapper: string;
  bucket: string;
  key: string;
  /** "null" for an object written while versioning was off. */
  versionId: string;
  /** Rows of the subject in that version. */
  rows: number;
  indexedAt: string;
}

export function indexSortKey(mapper: string, bucket: string, key: string, versionId: string): string {
  return `${mapper}#s3://${bucket}/${key}#${versionId}`;
}
