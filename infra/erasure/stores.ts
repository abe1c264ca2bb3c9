// The stores beyond the lake (`lethe:stores`): one function per store, each with a role that can do
// only what that store needs: Query and DeleteItem on its DynamoDB table; the connection secret and
// the database's VPC for PostgreSQL; the signing secret for a subsystem. Every store function also
// reads batch manifests, publishes owner alerts, and records its outcome and step on the batch record
// (the ledger table's summary item) when the state machine's store branches call it.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { LetheFunction, PolicyStatement } from "../components/letheFunction";
import { envNames } from "../../runtime/contracts/env";
import { StoreConfig, StoreKind } from "../../runtime/contracts/stores";
import { createStoresDynamodbHandler } from "../../runtime/handlers/storesDynamodb";
import { createStoresPostgresHandler } from "../../runtime/handlers/storesPostgres";
import { createStoresSubsystemHandler } from "../../runtime/handlers/storesSubsystem";

export interface StoreFunctionsArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  stores: StoreConfig[];
  /** Where batch manifests are: the bucket's ARN and the key prefix (ending in /). */
  manifestBucketArn: pulumi.Input<string>;
  manifestPrefix: string;
  alertTopicArn: pulumi.Input<string>;
  /** The ledger table, whose batch records take each store's outcome and step. */
  ledgerTable: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  logRetentionDays: pulumi.Input<number>;
  /** Subsystem functions accept http:// on 127.0.0.1/localhost (`lethe:subsystemLoopbackHttp`). */
  subsystemLoopbackHttp?: boolean;
}

/** The factories the functions are serialized from (exported so a test can run exactly these). */
export const storeFunctionFactories: Record<StoreKind, () => unknown> = {
  dynamodb: () => createStoresDynamodbHandler(),
  postgres: () => createStoresPostgresHandler(),
  subsystem: () => createStoresSubsystemHandler(),
};

interface Scope {
  partition: string;
  region: string;
  account: string;
}

/** A secret given by name is matched with the six random characters Secrets Manager appends. */
export function secretArn(s: Scope, secretId: string): string {
  return secretId.startsWith("arn:")
    ? secretId
    : `arn:${s.partition}:secretsmanager:${s.region}:${s.account}:secret:${secretId}-??????`;
}

/** What one store's function may do on the store itself. */
export function storeStatements(store: StoreConfig, s: Scope): PolicyStatement[] {
  if (store.kind === "dynamodb") {
    const table = `arn:${s.partition}:dynamodb:${s.region}:${s.account}:table/${store.table}`;
    return [
      {
        Sid: "FindByQuery",
        Effect: "Allow",
        Action: "dynamodb:Query",
        Resource: store.indexName ? `${table}/index/${store.indexName}` : table,
      },
      { Sid: "DeleteFoundItems", Effect: "Allow", Action: "dynamodb:DeleteItem", Resource: table },
    ];
  }
  if (store.kind === "postgres") {
    const network = store.network!;
    const ec2 = `arn:${s.partition}:ec2:${s.region}:${s.account}`;
    return [
      {
        Sid: "ReadConnectionSecret",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: secretArn(s, store.connectionSecret),
      },
      {
        // AWSLambdaVPCAccessExecutionRole's actions, scoped to the database's subnets and security groups.
        Sid: "JoinDatabaseVpc",
        Effect: "Allow",
        Action: "ec2:CreateNetworkInterface",
        Resource: [
          `${ec2}:network-interface/*`,
          ...network.subnetIds.map((id) => `${ec2}:subnet/${id}`),
          ...network.securityGroupIds.map((id) => `${ec2}:security-group/${id}`),
        ],
      },
      {
        Sid: "ManageOwnNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: `${ec2}:network-interface/*`,
      },
      {
        // Describe calls cannot be scoped to a resource.
        Sid: "DescribeNetwork",
        Effect: "Allow",
        Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        Resource: "*",
      },
    ];
  }
  return [
    {
      Sid: "ReadSigningSecret",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: secretArn(s, store.signingSecret),
    },
  ];
}

export class StoreFunctions extends pulumi.ComponentResource {
  /** The function of each store, by store name. */
  readonly functions: Record<string, LetheFunction>;

  constructor(name: string, args: StoreFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:erasure:StoreFunctions", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    this.functions = {};

    for (const store of args.stores) {
      const statements = pulumi
        .all([
          partition.partition,
          region.region,
          identity.accountId,
          args.manifestBucketArn,
          args.alertTopicArn,
          args.ledgerTable.arn,
        ])
        .apply(([part, regionName, account, bucketArn, topicArn, ledgerArn]): PolicyStatement[] => [
          ...storeStatements(store, { partition: part, region: regionName, account }),
          {
            Sid: "ReadBatchManifests",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:GetObjectVersion"],
            Resource: `${bucketArn}/${args.manifestPrefix}*`,
          },
          { Sid: "AlertOwners", Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
          {
            Sid: "RecordBatchOutcome",
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            Resource: ledgerArn,
          },
        ]);
      const environment: Record<string, pulumi.Input<string>> = {
        [envNames.store]: JSON.stringify(store),
        [envNames.alertTopicArn]: args.alertTopicArn,
        [envNames.ledgerTable]: args.ledgerTable.name,
        POWERTOOLS_SERVICE_NAME: `lethe-store-${store.kind}`,
      };
      if (store.kind === "subsystem" && args.subsystemLoopbackHttp)
        environment[envNames.subsystemAllowLoopbackHttp] = "true";
      // Node 20+ Lambda runtimes load the RDS CA bundle only when asked: TLS to Aurora/RDS verifies against it.
      if (store.kind === "postgres") environment.NODE_EXTRA_CA_CERTS = "/var/runtime/ca-cert.pem";
      this.functions[store.name] = new LetheFunction(
        `${name}-${store.name}`,
        {
          shortName: `store-${store.name}`,
          description: `Finds, erases and verifies subjects in the ${store.kind} store ${store.name} (owner ${store.owner})`,
          callbackFactory: storeFunctionFactories[store.kind] as aws.lambda.CallbackFactory<unknown, unknown>,
          statements,
          // The manifest (SSE-KMS) and the ledger table are encrypted with the stack key.
          kmsViaServices: ["s3", "dynamodb"],
          environment,
          // One batch of up to 10,000 subjects per call: PostgreSQL's transaction or DynamoDB's queries.
          memorySizeMb: 512,
          timeoutSeconds: 900,
          vpcConfig:
            store.kind === "postgres"
              ? { subnetIds: store.network!.subnetIds, securityGroupIds: store.network!.securityGroupIds }
              : undefined,
          kmsKeyArn: args.kmsKeyArn,
          logRetentionDays: args.logRetentionDays,
          tags: args.tags,
        },
        parent,
      );
    }
    this.registerOutputs({
      functionNames: Object.fromEntries(Object.entries(this.functions).map(([k, f]) => [k, f.function.name])),
    });
  }
}
