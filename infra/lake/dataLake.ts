// The lake: a customer-managed key, the versioned Parquet bucket, its Glue catalog entry (partition
// projection on `dt`, so new days are queryable without crawlers), and the Athena workgroup used to
// find a customer's objects (`"$path"`), with results in a separate encrypted bucket.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { EncryptionKey } from "../components/encryptionKey";
import { SecureBucket } from "../components/secureBucket";
import {
  eventsTable,
  ingestErrorRoot,
  manifestRoot,
  manifestTable,
} from "../../runtime/contracts/lakeSchema";

export interface DataLakeArgs {
  tags: pulumi.Input<Tags>;
  noncurrentVersionExpirationDays: pulumi.Input<number>;
  /** Days before raw records Firehose could not deliver (under the error prefix) expire. */
  ingestErrorRetentionDays: pulumi.Input<number>;
  athenaBytesScannedCutoff: pulumi.Input<number>;
  athenaResultsRetentionDays: pulumi.Input<number>;
  /** Days before a batch manifest (raw subject IDs, under the manifest prefix) expires. */
  manifestRetentionDays: pulumi.Input<number>;
  /** Manage the account-wide Glue Data Catalog encryption settings from this stack. */
  manageGlueCatalogEncryption: boolean;
  /** The first day partition projection offers (yyyy-MM-dd). */
  projectionStartDate?: pulumi.Input<string>;
}

export class DataLake extends pulumi.ComponentResource {
  readonly key: EncryptionKey;
  readonly lake: SecureBucket;
  readonly results: SecureBucket;
  readonly database: aws.glue.CatalogDatabase;
  readonly table: aws.glue.CatalogTable;
  /** The batch manifests as Athena sees them, joined by the find queries. */
  readonly manifestTable: aws.glue.CatalogTable;
  /** `s3://<lake>/events/`: the events table's location. */
  readonly eventsLocation: pulumi.Output<string>;
  readonly workgroup: aws.athena.Workgroup;
  readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: DataLakeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:lake:DataLake", name, {}, opts);
    const parent = { parent: this };

    this.key = new EncryptionKey(`${name}-cmk`, { tags: args.tags }, parent);
    this.kmsKeyArn = this.key.arn;

    this.lake = new SecureBucket(
      `${name}-data`,
      {
        kmsKeyArn: this.kmsKeyArn,
        noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays,
        // Undeliverable records are raw personal data no purge rewrites: they must not outlive the deadline.
        extraLifecycleRules: [
          {
            id: "expire-ingest-errors",
            status: "Enabled",
            filter: { prefix: ingestErrorRoot },
            expiration: { days: args.ingestErrorRetentionDays },
          },
          {
            // Manifests hold the raw IDs of a batch: gone before the deadline whatever happens to the batch.
            id: "expire-erasure-manifests",
            status: "Enabled",
            filter: { prefix: manifestRoot },
            expiration: { days: args.manifestRetentionDays },
          },
        ],
        tags: args.tags,
      },
      parent,
    );
    this.results = new SecureBucket(
      `${name}-athena-results`,
      {
        kmsKeyArn: this.kmsKeyArn,
        noncurrentVersionExpirationDays: 1,
        expirationDays: args.athenaResultsRetentionDays,
        tags: args.tags,
      },
      parent,
    );

    if (args.manageGlueCatalogEncryption) {
      new aws.glue.DataCatalogEncryptionSettings(
        `${name}-catalog-encryption`,
        {
          dataCatalogEncryptionSettings: {
            encryptionAtRest: { catalogEncryptionMode: "SSE-KMS", sseAwsKmsKeyId: this.kmsKeyArn },
            connectionPasswordEncryption: {
              returnConnectionPasswordEncrypted: true,
              awsKmsKeyId: this.kmsKeyArn,
            },
          },
        },
        parent,
      );
    }

    // Glue names allow lower case, digits and underscores only.
    const glueName = `lethe_${pulumi.getStack()}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
    this.database = new aws.glue.CatalogDatabase(
      `${name}-database`,
      { name: glueName, description: "Lethe data lake (GDPR-scoped personal data)", tags: args.tags },
      parent,
    );

    const location = pulumi.interpolate`s3://${this.lake.bucketName}/${eventsTable.prefix}`;
    this.eventsLocation = location;
    this.table = new aws.glue.CatalogTable(
      `${name}-events`,
      {
        databaseName: this.database.name,
        name: eventsTable.name,
        tableType: "EXTERNAL_TABLE",
        parameters: {
          EXTERNAL: "TRUE",
          classification: "parquet",
          "parquet.compression": "GZIP",
          "projection.enabled": "true",
          [`projection.${eventsTable.partitionKey}.type`]: "date",
          [`projection.${eventsTable.partitionKey}.format`]: "yyyy-MM-dd",
          [`projection.${eventsTable.partitionKey}.range`]: pulumi.interpolate`${args.projectionStartDate ?? "2020-01-01"},NOW`,
          [`projection.${eventsTable.partitionKey}.interval`]: "1",
          [`projection.${eventsTable.partitionKey}.interval.unit`]: "DAYS",
          "storage.location.template": pulumi.interpolate`${location}${eventsTable.partitionKey}=\${${eventsTable.partitionKey}}/`,
        },
        partitionKeys: [
          { name: eventsTable.partitionKey, type: "string", comment: "Event day, yyyy-MM-dd (UTC)" },
        ],
        storageDescriptor: {
          location,
          inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
          serDeInfo: {
            name: "parquet",
            serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            parameters: { "serialization.format": "1" },
          },
          columns: eventsTable.columns.map((c) => ({ ...c })),
        },
      },
      parent,
    );

    // Partition projection with an injected batch id: each find query names its batch, so a new
    // manifest is joinable the moment it is written (no AddPartition, no crawler).
    const manifests = pulumi.interpolate`s3://${this.lake.bucketName}/${manifestRoot}`;
    this.manifestTable = new aws.glue.CatalogTable(
      `${name}-manifests`,
      {
        databaseName: this.database.name,
        name: manifestTable.name,
        tableType: "EXTERNAL_TABLE",
        description: "Erasure batch manifests: one JSON line per subject, read only by the find queries",
        parameters: {
          EXTERNAL: "TRUE",
          classification: "json",
          "projection.enabled": "true",
          [`projection.${manifestTable.partitionKey}.type`]: "injected",
          "storage.location.template": pulumi.interpolate`${manifests}${manifestTable.partitionKey}=\${${manifestTable.partitionKey}}/`,
        },
        partitionKeys: [{ name: manifestTable.partitionKey, type: "string", comment: "The batch" }],
        storageDescriptor: {
          location: manifests,
          inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
          serDeInfo: {
            name: "json",
            serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
            parameters: { "ignore.malformed.json": "FALSE" },
          },
          columns: [
            {
              name: manifestTable.idColumn,
              type: "array<string>",
              comment: "The subject's key, one part per ID column",
            },
          ],
        },
      },
      parent,
    );

    this.workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: `lethe-${pulumi.getStack()}`,
        description: "Lethe: finds the lake objects that hold a data subject's rows",
        state: "ENABLED",
        forceDestroy: false,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: args.athenaBytesScannedCutoff,
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${this.results.bucketName}/athena/`,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: this.kmsKeyArn },
          },
        },
        tags: args.tags,
      },
      parent,
    );

    this.registerOutputs({
      kmsKeyArn: this.kmsKeyArn,
      lakeBucket: this.lake.bucketName,
      resultsBucket: this.results.bucketName,
      database: this.database.name,
      table: this.table.name,
      manifestTable: this.manifestTable.name,
      workgroup: this.workgroup.name,
    });
  }
}
