// The find function: Athena queries in Lethe's workgroup over each mapper's table joined with the
// manifest table, index lookups, and the plan written to the lake bucket. It may read the mappers'
// locations, the manifests and Athena's results, write plans and Athena's results, nothing else.
import * as pulumi from "@pulumi/pulumi";
import { keySubjectHashes } from "../components/subjectHashKey";
import { createFindHandler } from "../../runtime/handlers/find";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { declared, LetheFunction, PolicyStatement } from "../components/letheFunction";
import { auditMoveGrants, tableGrant } from "../components/grants";
import type { TableRef } from "./purgeWorkers";
import { mappersReadStatements } from "./dataMappers";
import { envNames } from "../../runtime/contracts/env";
import { DataMapper, parseS3Location } from "../../runtime/contracts/mappers";
import { manifestRoot, manifestTable, planRoot } from "../../runtime/contracts/lakeSchema";

export interface FindTaskArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: pulumi.Input<number>;
  dataMappers: pulumi.Input<DataMapper[]>;
  lakeBucketName: pulumi.Input<string>;
  resultsBucketName: pulumi.Input<string>;
  workgroupName: pulumi.Input<string>;
  glueDatabaseName: pulumi.Input<string>;
  indexTableName: pulumi.Input<string>;
  indexTableArn: pulumi.Input<string>;
  /** The KMS HMAC key the index is keyed with (the find function looks subjects up by their hash). */
  subjectHashKeyArn: pulumi.Input<string>;
  /**
   * The batch records (ledger) and requests the state machine's find moves (FINDING, steps.find);
   * find's own grants, not verify's (verify gets its own).
   */
  batchTables: { requests: TableRef; ledger: TableRef; audit: TableRef };
  /** Where audit details too large for an item go (every move of a request is audited). */
  auditBucketName: pulumi.Input<string>;
}

export const findFactory = () => createFindHandler();

export class FindTask extends pulumi.ComponentResource {
  readonly find: LetheFunction;
  /** What finding needs (the verify task re-finds with the same grants and settings). */
  readonly statements: pulumi.Output<PolicyStatement[]>;
  readonly environment: Record<string, pulumi.Input<string>>;

  constructor(name: string, args: FindTaskArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:erasure:FindTask", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);

    const mappers = pulumi.output(args.dataMappers) as pulumi.Output<DataMapper[]>;
    const statements = pulumi
      .all([
        partition.partition,
        region.region,
        identity.accountId,
        args.lakeBucketName,
        args.resultsBucketName,
        args.workgroupName,
        args.glueDatabaseName,
        args.indexTableArn,
      ])
      .apply(([part, regionName, account, lake, results, workgroup, database, indexTable]) => {
        const glue = `arn:${part}:glue:${regionName}:${account}`;
        const s3 = `arn:${part}:s3:::`;
        const own: PolicyStatement[] = [
          {
            Sid: "RunFindQueries",
            Effect: "Allow",
            Action: [
              "athena:StartQueryExecution",
              "athena:GetQueryExecution",
              "athena:GetQueryResults",
              "athena:StopQueryExecution",
            ],
            Resource: `arn:${part}:athena:${regionName}:${account}:workgroup/${workgroup}`,
          },
          {
            Sid: "ReadManifestTable",
            Effect: "Allow",
            Action: ["glue:GetTable", "glue:GetPartitions"],
            Resource: [
              `${glue}:catalog`,
              `${glue}:database/${database}`,
              `${glue}:table/${database}/${manifestTable.name}`,
            ],
          },
          {
            Sid: "ReadManifests",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:GetObjectVersion"],
            Resource: `${s3}${lake}/${manifestRoot}*`,
          },
          {
            Sid: "ListManifests",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: `${s3}${lake}`,
            Condition: { StringLike: { "s3:prefix": `${manifestRoot}*` } },
          },
          {
            Sid: "WritePlans",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: `${s3}${lake}/${planRoot}*`,
          },
          {
            Sid: "AthenaResults",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
            Resource: `${s3}${results}/athena/*`,
          },
          {
            Sid: "AthenaBuckets",
            Effect: "Allow",
            Action: ["s3:GetBucketLocation", "s3:ListBucket"],
            Resource: [`${s3}${results}`, `${s3}${lake}`],
          },
          { Sid: "ReadIndex", Effect: "Allow", Action: "dynamodb:Query", Resource: indexTable },
        ];
        return { own, scope: { partition: part, region: regionName, account } };
      })
      .apply(({ own, scope }) =>
        mappers.apply((m) => [
          ...mappersReadStatements(m, scope),
          // Athena asks where each source bucket is before reading it.
          {
            Sid: "LocateMapperBuckets",
            Effect: "Allow" as const,
            Action: "s3:GetBucketLocation",
            Resource: [
              ...new Set(m.map((x) => `arn:${scope.partition}:s3:::${parseS3Location(x.location).bucket}`)),
            ],
          },
          ...own,
        ]),
      );

    this.statements = pulumi
      .all([statements, args.subjectHashKeyArn])
      .apply(([list, hashKey]) => [...list, keySubjectHashes(hashKey)]);
    this.environment = {
      [envNames.dataMappers]: pulumi.output(args.dataMappers).apply((m) => JSON.stringify(m)),
      [envNames.indexTable]: args.indexTableName,
      [envNames.subjectHashKeyArn]: args.subjectHashKeyArn,
      [envNames.athenaWorkgroup]: args.workgroupName,
      [envNames.glueDatabase]: args.glueDatabaseName,
      [envNames.lakeBucket]: args.lakeBucketName,
      [envNames.kmsKeyArn]: args.kmsKeyArn,
    };
    this.find = new LetheFunction(
      `${name}-function`,
      {
        ...declared("find"),
        description:
          "Finds a batch's subjects in every data mapper (Athena + index metastore) and writes the plan",
        callbackFactory: findFactory,
        statements: pulumi
          .all([
            this.statements,
            args.batchTables.requests.arn,
            args.batchTables.ledger.arn,
            args.batchTables.audit.arn,
            args.auditBucketName,
          ])
          .apply(([list, requests, ledger, audit, auditBucket]) => [
            ...list,
            tableGrant("MoveBatch", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [ledger]),
            tableGrant("MoveRequests", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [requests]),
            ...auditMoveGrants(audit, auditBucket),
          ]),
        environment: {
          ...this.environment,
          [envNames.requestsTable]: args.batchTables.requests.name,
          [envNames.ledgerTable]: args.batchTables.ledger.name,
          [envNames.auditTable]: args.batchTables.audit.name,
          [envNames.auditBucket]: args.auditBucketName,
        },
        kmsViaServices: ["s3", "dynamodb"],
        kmsKeyArn: args.kmsKeyArn,
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      parent,
    );
    this.registerOutputs({ findFunction: this.find.function.name });
  }
}
