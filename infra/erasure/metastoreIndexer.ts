// The indexer function and what feeds it: S3 notifications (ObjectCreated, permanent ObjectRemoved)
// on each data mapper's prefix only, never on Lethe's own manifests, plans or filter. It reads exactly
// the mappers' locations and writes the index table.
//
// A bucket has one notification configuration: for a mapper in a bucket Lethe does not create, this
// takes that configuration over (the platform team merges any notifications of their own into it).
import * as pulumi from "@pulumi/pulumi";
import { keySubjectHashes } from "../components/subjectHashKey";
import { createIndexerHandler } from "../../runtime/handlers/indexer";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { declared, LetheFunction } from "../components/letheFunction";
import { mappersReadStatements } from "./dataMappers";
import { envNames } from "../../runtime/contracts/env";
import { DataMapper } from "../../runtime/contracts/mappers";
import { tableShapes } from "../../runtime/contracts/tables";

/** The bucket a notification goes on, and the mapper prefixes in it. */
export interface NotificationTarget {
  bucket: pulumi.Input<string>;
  prefixes: string[];
}

export interface MetastoreIndexerArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: pulumi.Input<number>;
  indexTableName: pulumi.Input<string>;
  indexTableArn: pulumi.Input<string>;
  dataMappers: pulumi.Input<DataMapper[]>;
  /** The KMS HMAC key the index is keyed with. */
  subjectHashKeyArn: pulumi.Input<string>;
  /** One entry per bucket holding mapper locations (keyed by a stable label for resource names). */
  notifications: Record<string, NotificationTarget>;
}

export const indexerFactory = () => createIndexerHandler();

export class MetastoreIndexer extends pulumi.ComponentResource {
  readonly indexer: LetheFunction;

  constructor(name: string, args: MetastoreIndexerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:erasure:MetastoreIndexer", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const byLocation = tableShapes.index.globalSecondaryIndexes[0].name;

    this.indexer = new LetheFunction(
      `${name}-function`,
      {
        ...declared("indexer"),
        description:
          "Indexes each new lake object version by subject hash (ID columns only); removes deleted versions",
        callbackFactory: indexerFactory,
        statements: pulumi
          .all([
            args.dataMappers,
            args.indexTableArn,
            partition.partition,
            region.region,
            identity.accountId,
            args.subjectHashKeyArn,
          ])
          .apply(([mappers, table, part, regionName, account, hashKey]) => [
            keySubjectHashes(hashKey),
            ...mappersReadStatements(mappers, { partition: part, region: regionName, account }),
            {
              Sid: "WriteIndex",
              Effect: "Allow" as const,
              Action: ["dynamodb:BatchWriteItem", "dynamodb:Query"],
              Resource: [table, `${table}/index/${byLocation}`],
            },
          ]),
        environment: {
          [envNames.dataMappers]: pulumi.output(args.dataMappers).apply((m) => JSON.stringify(m)),
          [envNames.indexTable]: args.indexTableName,
          [envNames.subjectHashKeyArn]: args.subjectHashKeyArn,
        },
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      parent,
    );

    for (const [label, target] of Object.entries(args.notifications)) {
      const bucketArn = pulumi.interpolate`arn:${partition.partition}:s3:::${target.bucket}`;
      const permission = new aws.lambda.Permission(
        `${name}-${label}-invoke`,
        {
          action: "lambda:InvokeFunction",
          function: this.indexer.function.name,
          principal: "s3.amazonaws.com",
          sourceArn: bucketArn,
          sourceAccount: identity.accountId,
        },
        parent,
      );
      new aws.s3.BucketNotification(
        `${name}-${label}-notification`,
        {
          bucket: target.bucket,
          lambdaFunctions: target.prefixes.map((filterPrefix) => ({
            lambdaFunctionArn: this.indexer.arn,
            events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
            filterPrefix,
          })),
        },
        { parent: this, dependsOn: [permission] },
      );
    }
    this.registerOutputs({ indexerFunction: this.indexer.function.name });
  }
}
