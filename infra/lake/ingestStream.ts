// The ingest path: a Firehose stream that converts JSON records to GZIP Parquet with the Glue table's
// schema and writes them under the table's `dt=` partitions; conversion failures go to an error prefix.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { serviceTrustPolicy, viaServices } from "../components/policyDocuments";
import { firehoseErrorPrefix, firehosePrefix } from "../../runtime/contracts/lakeSchema";

/** The fixed part of each prefix the stream writes under (everything before the first `!{...}`). */
export const ingestObjectPrefixes = [firehosePrefix, firehoseErrorPrefix].map((p) =>
  p.includes("!{") ? p.slice(0, p.indexOf("!{")) : p,
);

export interface IngestStreamArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  databaseName: pulumi.Input<string>;
  tableName: pulumi.Input<string>;
  bufferingIntervalSeconds: pulumi.Input<number>;
  bufferingSizeMb: pulumi.Input<number>;
  logRetentionDays: pulumi.Input<number>;
  /** A record-transformation Lambda (the ingest guard) run on every record before conversion. */
  processor?: {
    lambdaArn: pulumi.Input<string>;
    bufferingIntervalSeconds?: pulumi.Input<number>;
    bufferingSizeMb?: pulumi.Input<number>;
  };
}

export class IngestStream extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly stream: aws.kinesis.FirehoseDeliveryStream;
  readonly streamName: pulumi.Output<string>;

  constructor(name: string, args: IngestStreamArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:ingest:IngestStream", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/aws/kinesisfirehose/lethe-${pulumi.getStack()}-ingest`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags: args.tags,
      },
      parent,
    );
    const logStream = new aws.cloudwatch.LogStream(
      `${name}-delivery-log`,
      { logGroupName: this.logGroup.name, name: "DestinationDelivery" },
      parent,
    );

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: "Lethe ingest stream: writes Parquet into the lake",
        assumeRolePolicy: identity.accountId.apply((account) =>
          serviceTrustPolicy("firehose.amazonaws.com", { StringEquals: { "sts:ExternalId": account } }),
        ),
        tags: args.tags,
      },
      parent,
    );

    const statements = pulumi
      .all([
        args.bucketArn,
        args.kmsKeyArn,
        args.databaseName,
        args.tableName,
        this.logGroup.arn,
        identity.accountId,
        region.region,
        partition.partition,
        args.processor?.lambdaArn,
      ])
      .apply(([bucketArn, keyArn, db, table, logArn, account, regionName, part, lambdaArn]) => {
        const glue = `arn:${part}:glue:${regionName}:${account}`;
        const s: object[] = [
          {
            Sid: "LocateLakeBucket",
            Effect: "Allow",
            Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            Resource: bucketArn,
          },
          {
            // Only what the stream writes: the events partitions and the error prefix, never the
            // filter, manifests or any other object in the bucket.
            Sid: "WriteIngestObjects",
            Effect: "Allow",
            Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            Resource: ingestObjectPrefixes.map((p) => `${bucketArn}/${p}*`),
          },
          {
            Sid: "EncryptWithLakeKey",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: keyArn,
            // S3 for the objects; Glue for the table schema when the Data Catalog is encrypted with it.
            Condition: viaServices(regionName as string, ["s3", "glue"]),
          },
          {
            Sid: "ReadTableSchema",
            Effect: "Allow",
            Action: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
            Resource: [`${glue}:catalog`, `${glue}:database/${db}`, `${glue}:table/${db}/${table}`],
          },
          {
            Sid: "WriteDeliveryLogs",
            Effect: "Allow",
            Action: ["logs:PutLogEvents"],
            Resource: `${logArn}:*`,
          },
        ];
        if (lambdaArn) {
          s.push({
            Sid: "InvokeIngestGuard",
            Effect: "Allow",
            Action: ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
            Resource: [lambdaArn, `${lambdaArn}:*`],
          });
        }
        return JSON.stringify({ Version: "2012-10-17", Statement: s });
      });
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.id, policy: statements },
      parent,
    );

    const processingConfiguration = args.processor
      ? {
          enabled: true,
          processors: [
            {
              type: "Lambda",
              parameters: [
                {
                  parameterName: "LambdaArn",
                  parameterValue: pulumi.interpolate`${args.processor.lambdaArn}:$LATEST`,
                },
                {
                  parameterName: "BufferIntervalInSeconds",
                  parameterValue: pulumi.output(args.processor.bufferingIntervalSeconds ?? 60).apply(String),
                },
                {
                  parameterName: "BufferSizeInMBs",
                  parameterValue: pulumi.output(args.processor.bufferingSizeMb ?? 1).apply(String),
                },
              ],
            },
          ],
        }
      : undefined;

    this.stream = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-stream`,
      {
        name: `lethe-${pulumi.getStack()}-ingest`,
        destination: "extended_s3",
        serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: args.kmsKeyArn },
        extendedS3Configuration: {
          roleArn: this.role.arn,
          bucketArn: args.bucketArn,
          prefix: firehosePrefix,
          errorOutputPrefix: firehoseErrorPrefix,
          bufferingInterval: args.bufferingIntervalSeconds,
          bufferingSize: args.bufferingSizeMb,
          // Parquet carries its own (GZIP) compression; Firehose requires UNCOMPRESSED here.
          compressionFormat: "UNCOMPRESSED",
          kmsKeyArn: args.kmsKeyArn,
          cloudwatchLoggingOptions: {
            enabled: true,
            logGroupName: this.logGroup.name,
            logStreamName: logStream.name,
          },
          processingConfiguration,
          dataFormatConversionConfiguration: {
            enabled: true,
            inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
            outputFormatConfiguration: { serializer: { parquetSerDe: { compression: "GZIP" } } },
            schemaConfiguration: {
              databaseName: args.databaseName,
              tableName: args.tableName,
              roleArn: this.role.arn,
              region: region.region,
              versionId: "LATEST",
            },
          },
        },
        tags: args.tags,
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.streamName = this.stream.name;
    this.registerOutputs({ streamName: this.streamName, roleArn: this.role.arn });
  }
}
