// The DynamoDB tables behind an erasure: requests (with their legal deadline), the index metastore
// (customer key -> locations), the opt-out registry, the distributed locks (seed 000's pk/sk/ttl) and
// the forget ledger, the error and audit records. All on-demand, encrypted with our key, PITR on, TTL on `ttl`.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import {
  tableRoleTag,
  tableShapes,
  ttlAttribute,
  type TableRole,
  type TableShape,
} from "../../runtime/contracts/tables";

export interface ErasureTablesArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  deletionProtection: pulumi.Input<boolean>;
}

export { tableShapes, ttlAttribute } from "../../runtime/contracts/tables";
export type { TableRole, TableShape } from "../../runtime/contracts/tables";

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
          tags: pulumi.output(args.tags).apply((t) => ({ ...t, [tableRoleTag]: role })),
        },
        { parent: this },
      );
    };
    this.tables = {
      requests: make("requests"),
      index: make("index"),
      optOut: make("optOut"),
      locks: make("locks"),
      ledger: make("ledger"),
      errors: make("errors"),
      audit: make("audit"),
      idempotency: make("idempotency"),
    };
    this.registerOutputs(Object.fromEntries(Object.entries(this.tables).map(([k, t]) => [k, t.name])));
  }
}
