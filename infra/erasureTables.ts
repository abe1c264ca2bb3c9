// The DynamoDB tables behind an erasure: requests (with their legal deadline), the index metastore
// (customer key -> locations), the opt-out registry, the distributed locks (seed 000's pk/sk/ttl) and
// the error and audit records. All on-demand, encrypted with our key, PITR on, TTL on `ttl`.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./tags";

export interface ErasureTablesArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  deletionProtection: pulumi.Input<boolean>;
}

/** The attribute every table's TTL reads (epoch seconds). Items without it never expire. */
export const ttlAttribute = "ttl";

interface TableShape {
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
    description: "Index metastore: customer key -> every location holding their data",
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
} satisfies Record<string, TableShape>;

export type TableRole = keyof typeof tableShapes;

export class ErasureTables extends pulumi.ComponentResource {
  readonly tables: Record<TableRole, aws.dynamodb.Table>;

  constructor(name: string, args: ErasureTablesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:tables:ErasureTables", name, {}, opts);
    const make = (role: TableRole): aws.dynamodb.Table => {
      const shape: TableShape = tableShapes[role];
      return new aws.dynamodb.Table(
        `${name}-${role}`,
        {
          billingMode: "PAY_PER_REQUEST",
          hashKey: shape.hashKey,
          rangeKey: shape.rangeKey,
          attributes: shape.attributes,
          globalSecondaryIndexes: shape.globalSecondaryIndexes,
          serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn },
          pointInTimeRecovery: { enabled: true },
          ttl: { attributeName: ttlAttribute, enabled: true },
          deletionProtectionEnabled: args.deletionProtection,
          tags: pulumi.output(args.tags).apply((t) => ({ ...t, "lethe:table": role })),
        },
        { parent: this },
      );
    };
    this.tables = {
      requests: make("requests"),
      index: make("index"),
      optOut: make("optOut"),
      locks: make("locks"),
      errors: make("errors"),
      audit: make("audit"),
    };
    this.registerOutputs(Object.fromEntries(Object.entries(this.tables).map(([k, t]) => [k, t.name])));
  }
}
