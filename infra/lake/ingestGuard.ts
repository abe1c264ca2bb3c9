// The ingest guard (seed 003): a filter-builder function, run on an EventBridge schedule (and from
// the console), that publishes a bloom filter of the opt-out registry into the lake bucket; and the
// Firehose transformation function that drops records of opted-out customers. IngestStream wires
// the transformer in through its `processor` argument.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { scheduleFunction } from "../components/scheduledFunction";
import { Tags } from "../components/tags";
import { declared, LetheFunction } from "../components/letheFunction";
import { keySubjectHashes } from "../components/subjectHashKey";
import { createFilterBuilderHandler } from "../../runtime/handlers/filterBuilder";
import {
  createIngestTransformerHandler,
  filterStaleMetric,
  transformerServiceName,
} from "../../runtime/handlers/ingestTransformer";
import { AlarmedMetric } from "../alerts";
import { envNames } from "../../runtime/contracts/env";
import { defaultFilterPrefix } from "../../runtime/ingest/settings";

export interface IngestGuardArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  /** The KMS HMAC key the builder keys its ID-set digest with. */
  subjectHashKeyArn: pulumi.Input<string>;
  lakeBucketName: pulumi.Input<string>;
  lakeBucketArn: pulumi.Input<string>;
  optOutTableName: pulumi.Input<string>;
  optOutTableArn: pulumi.Input<string>;
  /** Target false-positive rate of the filter (0 < rate < 1). */
  falsePositiveRate: pulumi.Input<number>;
  /** EventBridge schedule expression for the builder: `rate(...)` or `cron(...)`. */
  buildSchedule: pulumi.Input<string>;
  /** The transformer checks for a newer filter generation at most this often. */
  refreshSeconds: pulumi.Input<number>;
  /** The transformer trusts the filter it holds this long while the pointer cannot be read. */
  maxStalenessSeconds: pulumi.Input<number>;
  cacheTtlSeconds: pulumi.Input<number>;
  cacheMaxEntries: pulumi.Input<number>;
  logRetentionDays: pulumi.Input<number>;
}

/** The factories the functions are serialized from (exported so a test can run exactly these). */
export const filterBuilderFactory = () => createFilterBuilderHandler();
export const ingestTransformerFactory = () => createIngestTransformerHandler();

export class IngestGuard extends pulumi.ComponentResource {
  readonly builder: LetheFunction;
  readonly transformer: LetheFunction;
  readonly schedule: aws.cloudwatch.EventRule;
  /** Dead-letter queues by a short label, for Alerts. */
  readonly deadLetterQueueNames: Record<string, pulumi.Output<string>>;
  /** Metrics whose first non-zero value raises an alarm, by a short label, for Alerts. */
  readonly alarmedMetrics: Record<string, AlarmedMetric>;

  constructor(name: string, args: IngestGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:ingest:IngestGuard", name, {}, opts);
    const parent = { parent: this };
    const prefix = defaultFilterPrefix;
    const filterObjects = pulumi.interpolate`${args.lakeBucketArn}/${prefix}*`;
    // Without ListBucket a missing object reads as AccessDenied, not NoSuchKey ("no filter yet").
    const listFilterPrefix = (bucketArn: string) => ({
      Sid: "ListFilterPrefix",
      Effect: "Allow" as const,
      Action: "s3:ListBucket",
      Resource: bucketArn,
      Condition: { StringLike: { "s3:prefix": `${prefix}*` } },
    });
    const common = {
      [envNames.optOutTable]: args.optOutTableName,
      [envNames.filterBucket]: args.lakeBucketName,
      [envNames.filterPrefix]: prefix,
      [envNames.kmsKeyArn]: args.kmsKeyArn,
    };

    this.builder = new LetheFunction(
      `${name}-builder`,
      {
        ...declared("filterBuilder"),
        description:
          "Builds the opt-out bloom filter and publishes a new generation when the registry changed",
        callbackFactory: filterBuilderFactory,
        statements: pulumi
          .all([args.optOutTableArn, filterObjects, args.lakeBucketArn, args.subjectHashKeyArn])
          .apply(([table, objects, bucket, hashKey]) => [
            { Sid: "ReadOptOutRegistry", Effect: "Allow" as const, Action: "dynamodb:Scan", Resource: table },
            keySubjectHashes(hashKey),
            {
              Sid: "PublishFilterGenerations",
              Effect: "Allow" as const,
              Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
              Resource: objects,
            },
            listFilterPrefix(bucket),
          ]),
        environment: {
          ...common,
          [envNames.falsePositiveRate]: pulumi.output(args.falsePositiveRate).apply(String),
          [envNames.subjectHashKeyArn]: args.subjectHashKeyArn,
        },
        // One writer of generations at a time.
        reservedConcurrentExecutions: 1,
        kmsKeyArn: args.kmsKeyArn,
        kmsViaServices: ["s3", "dynamodb"],
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      parent,
    );

    this.transformer = new LetheFunction(
      `${name}-transformer`,
      {
        ...declared("ingestGuard"),
        description: "Firehose transformation: drops records of opted-out customers, fails malformed ones",
        callbackFactory: ingestTransformerFactory,
        statements: pulumi
          .all([args.optOutTableArn, filterObjects, args.lakeBucketArn])
          .apply(([table, objects, bucket]) => [
            {
              Sid: "ConfirmOptOuts",
              Effect: "Allow" as const,
              Action: "dynamodb:BatchGetItem",
              Resource: table,
            },
            { Sid: "ReadFilter", Effect: "Allow" as const, Action: "s3:GetObject", Resource: objects },
            listFilterPrefix(bucket),
          ]),
        environment: {
          ...common,
          [envNames.refreshSeconds]: pulumi.output(args.refreshSeconds).apply(String),
          [envNames.maxStalenessSeconds]: pulumi.output(args.maxStalenessSeconds).apply(String),
          [envNames.cacheTtlSeconds]: pulumi.output(args.cacheTtlSeconds).apply(String),
          [envNames.cacheMaxEntries]: pulumi.output(args.cacheMaxEntries).apply(String),
        },
        // Memory buys CPU: the guard decodes and parses every record.
        kmsKeyArn: args.kmsKeyArn,
        kmsViaServices: ["s3", "dynamodb"],
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      parent,
    );

    this.schedule = scheduleFunction(
      `${name}-build`,
      this.builder,
      args.buildSchedule,
      "Lethe: rebuild the opt-out bloom filter",
      args.tags,
      parent,
    );

    this.deadLetterQueueNames = {
      "filter-builder": this.builder.deadLetterQueue.name,
      "ingest-guard": this.transformer.deadLetterQueue.name,
    };
    this.alarmedMetrics = {
      "ingest-guard-filter-stale": {
        description:
          "Lethe ingest guard: the opt-out filter pointer has been unreadable for longer than ingestFilterMaxStalenessSeconds; every record is being confirmed in DynamoDB (slower, costlier) until it can be read",
        namespace: "Lethe",
        metricName: filterStaleMetric,
        dimensions: { service: transformerServiceName },
      },
    };
    this.registerOutputs({
      builderFunction: this.builder.function.name,
      transformerFunction: this.transformer.function.name,
      scheduleRule: this.schedule.name,
    });
  }
}
