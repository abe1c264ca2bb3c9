// The forget step's two functions: `purge`, fed by the purge queue (one message per lake object,
// partial batch failures reported), and `errors`, fed by the purge dead-letter queue, filing each
// object Lethe could not purge in the errors table and alerting SNS. Each has its own role: purge may
// read and rewrite objects only under the data mappers' locations, read the manifests, and use only
// the tables it needs; the stack key only through the services that hold its data (kms:ViaService).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { declared, LetheFunction, PolicyStatement } from "../components/letheFunction";
import { createPurgeHandler } from "../../runtime/handlers/purge";
import { createErrorsHandler } from "../../runtime/handlers/errors";
import { envNames } from "../../runtime/contracts/env";
import { DataMapper, parseS3Location } from "../../runtime/contracts/mappers";
import { keySubjectHashes } from "../components/subjectHashKey";

export interface TableRef {
  name: pulumi.Input<string>;
  arn: pulumi.Input<string>;
}

export interface QueueRef {
  url: pulumi.Input<string>;
  arn: pulumi.Input<string>;
}

export interface PurgeWorkersArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: pulumi.Input<number>;
  /** The tables of the lake the purge may rewrite objects of (only under their locations). */
  dataMappers: pulumi.Input<DataMapper[]>;
  /** Where batch manifests live, `s3://bucket/prefix/`: the purge reads them, never writes. */
  manifestLocation: pulumi.Input<string>;
  tables: { locks: TableRef; ledger: TableRef; index: TableRef; errors: TableRef };
  purgeQueue: QueueRef;
  purgeDeadLetterQueue: QueueRef;
  alertTopicArn: pulumi.Input<string>;
  memorySizeMb: number;
  timeoutSeconds: number;
  reservedConcurrency: pulumi.Input<number>;
  batchSize: pulumi.Input<number>;
  ledgerRetentionDays: pulumi.Input<number>;
  errorRetentionDays: pulumi.Input<number>;
  /** The subject hash key: used (and granted) only when a mapper masks rows with the subject's hash. */
  subjectHashKeyArn: pulumi.Input<string>;
}

/** The factories the functions are serialized from (exported so a test can run exactly these). */
export const purgeFactory = () => createPurgeHandler();
export const errorsFactory = () => createErrorsHandler();

/** The errors function only writes two items and publishes a message per dead letter. */
const errorsFunction = { batchSize: 10 };

/** S3 statements for objects under `s3://bucket/prefix/` (the prefix's objects and its version listing). */
export function locationStatements(
  sid: string,
  location: string,
  objectActions: string[],
): PolicyStatement[] {
  const { bucket, prefix } = parseS3Location(location);
  return [
    {
      Sid: `${sid}Objects`,
      Effect: "Allow",
      Action: objectActions,
      Resource: `arn:aws:s3:::${bucket}/${prefix}*`,
    },
    {
      Sid: `${sid}Listing`,
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketVersions"],
      Resource: `arn:aws:s3:::${bucket}`,
      Condition: { StringLike: { "s3:prefix": `${prefix}*` } },
    },
  ];
}

export const lakeRewriteActions = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:GetObjectTagging",
  "s3:GetObjectVersionTagging",
  "s3:PutObject",
  "s3:PutObjectTagging",
  "s3:DeleteObjectVersion",
  // A large object's new version is a multipart upload (runtime/purge/multipartWrite.ts): PutObject
  // covers its parts and UploadPartCopy (with GetObjectVersion on the source); a failed one is aborted.
  "s3:AbortMultipartUpload",
];

export class PurgeWorkers extends pulumi.ComponentResource {
  readonly purge: LetheFunction;
  readonly errors: LetheFunction;
  /** The functions' own dead-letter queues (console and async invocations), by a short label, for Alerts. */
  readonly deadLetterQueueNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: PurgeWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:erasure:PurgeWorkers", name, {}, opts);
    const parent = { parent: this };
    const t = args.tables;
    const ddb = (sid: string, actions: string[], ...arns: string[]): PolicyStatement => ({
      Sid: sid,
      Effect: "Allow",
      Action: actions,
      Resource: arns,
    });

    this.purge = new LetheFunction(
      `${name}-purge`,
      {
        ...declared("purge"),
        description:
          "Purges one lake object per purge-queue message, under its lock, leaving no version behind",
        callbackFactory: purgeFactory,
        statements: pulumi
          .all([
            args.dataMappers,
            args.manifestLocation,
            t.locks.arn,
            t.ledger.arn,
            t.index.arn,
            args.purgeQueue.arn,
            args.purgeDeadLetterQueue.arn,
            args.subjectHashKeyArn,
          ])
          .apply(([mappers, manifests, locks, ledger, index, queue, dlq, hashKey]) => [
            // A `mask` mapper sets columns to the subject's keyed hash (docs/purge.md, "Strategies").
            ...(mappers.some((m) => m.strategy === "mask") ? [keySubjectHashes(hashKey)] : []),
            ...mappers.flatMap((m, i) =>
              locationStatements(`RewriteMapper${i}`, m.location, lakeRewriteActions),
            ),
            ...locationStatements("ReadManifests", manifests, ["s3:GetObject", "s3:GetObjectVersion"]),
            ddb("HoldObjectLocks", ["dynamodb:GetItem", "dynamodb:UpdateItem"], locks),
            ddb("KeepLedger", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], ledger),
            ddb("DropIndexEntries", ["dynamodb:Query", "dynamodb:BatchWriteItem"], index, `${index}/index/*`),
            {
              Sid: "ConsumePurgeQueue",
              Effect: "Allow" as const,
              Action: [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
                "sqs:SendMessage",
              ],
              Resource: queue,
            },
            {
              Sid: "RefuseToDeadLetters",
              Effect: "Allow" as const,
              Action: "sqs:SendMessage",
              Resource: dlq,
            },
          ]),
        kmsViaServices: ["s3", "dynamodb"],
        environment: {
          [envNames.dataMappers]: pulumi.output(args.dataMappers).apply((m) => JSON.stringify(m)),
          [envNames.locksTable]: t.locks.name,
          [envNames.ledgerTable]: t.ledger.name,
          [envNames.indexTable]: t.index.name,
          [envNames.purgeQueueUrl]: args.purgeQueue.url,
          [envNames.purgeDeadLetterQueueUrl]: args.purgeDeadLetterQueue.url,
          // Waiting for a lock takes at most a quarter of the invocation; half is kept for the purge.
          [envNames.purgeLockWaitSeconds]: String(Math.floor(args.timeoutSeconds / 4)),
          [envNames.purgeWorkReserveSeconds]: String(Math.floor(args.timeoutSeconds / 2)),
          // CSV objects are purged in memory (decoded text, rows, output): a quarter of it. Parquet and
          // JSON Lines stream, whatever their size (runtime/erasure/forget/purgeLakeObject.ts).
          [envNames.purgeMaxObjectBytes]: String(Math.floor((args.memorySizeMb * 1024 * 1024) / 4)),
          [envNames.ledgerRetentionDays]: pulumi.output(args.ledgerRetentionDays).apply(String),
          [envNames.subjectHashKeyArn]: args.subjectHashKeyArn,
        },
        memorySizeMb: args.memorySizeMb,
        timeoutSeconds: args.timeoutSeconds,
        reservedConcurrentExecutions: args.reservedConcurrency,
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      parent,
    );

    this.errors = new LetheFunction(
      `${name}-errors`,
      {
        ...declared("purgeErrors"),
        description:
          "Files objects Lethe could not purge in the errors table and alerts SNS, once per object",
        callbackFactory: errorsFactory,
        statements: pulumi
          .all([t.errors.arn, t.ledger.arn, args.alertTopicArn, args.purgeDeadLetterQueue.arn])
          .apply(([errors, ledger, topic, dlq]) => [
            ddb("FileErrors", ["dynamodb:PutItem"], errors),
            ddb(
              "RecordFailuresOnLedger",
              ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
              ledger,
            ),
            { Sid: "Alert", Effect: "Allow" as const, Action: "sns:Publish", Resource: topic },
            {
              Sid: "ConsumeDeadLetters",
              Effect: "Allow" as const,
              Action: [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
              ],
              Resource: dlq,
            },
          ]),
        kmsViaServices: ["dynamodb", "sns"],
        environment: {
          [envNames.ledgerTable]: t.ledger.name,
          [envNames.errorsTable]: t.errors.name,
          [envNames.alertTopicArn]: args.alertTopicArn,
          [envNames.ledgerRetentionDays]: pulumi.output(args.ledgerRetentionDays).apply(String),
          [envNames.errorRetentionDays]: pulumi.output(args.errorRetentionDays).apply(String),
        },
        reservedConcurrentExecutions: 2,
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      parent,
    );

    new aws.lambda.EventSourceMapping(
      `${name}-purge-source`,
      {
        eventSourceArn: args.purgeQueue.arn,
        functionName: this.purge.function.arn,
        batchSize: args.batchSize,
        functionResponseTypes: ["ReportBatchItemFailures"],
        tags: args.tags,
      },
      parent,
    );
    new aws.lambda.EventSourceMapping(
      `${name}-errors-source`,
      {
        eventSourceArn: args.purgeDeadLetterQueue.arn,
        functionName: this.errors.function.arn,
        batchSize: errorsFunction.batchSize,
        functionResponseTypes: ["ReportBatchItemFailures"],
        tags: args.tags,
      },
      parent,
    );

    this.deadLetterQueueNames = {
      "purge-function": this.purge.deadLetterQueue.name,
      "purge-errors-function": this.errors.deadLetterQueue.name,
    };
    this.registerOutputs({
      purgeFunction: this.purge.function.name,
      errorsFunction: this.errors.function.name,
    });
  }
}
