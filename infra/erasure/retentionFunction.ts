// The retention function (runtime/handlers/retention.ts) and its EventBridge schedule
// (lethe:retentionSchedule): present only when a data mapper declares `retention`. It rewrites and
// deletes object versions under those mappers' locations only, holds the objects' locks, keeps the
// ledger, and writes (and signs, with the report signing key) its reports under reports/retention/.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { scheduleFunction } from "../components/scheduledFunction";
import { Tags } from "../components/tags";
import { LetheFunction } from "../components/letheFunction";
import { objectGrant, tableGrant } from "../components/grants";
import { signReports } from "../components/reportSigningKey";
import { envNames } from "../../runtime/contracts/env";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { createRetentionHandler } from "../../runtime/handlers/retention";
import { lakeRewriteActions, locationStatements, TableRef } from "./purgeWorkers";

export interface RetentionFunctionArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: pulumi.Input<number>;
  /** Every data mapper; the function acts on (and is granted) those that declare retention only. */
  dataMappers: pulumi.Input<DataMapper[]>;
  tables: { locks: TableRef; ledger: TableRef };
  ledgerRetentionDays: pulumi.Input<number>;
  reportBucketName: pulumi.Input<string>;
  reportSigningKeyArn: pulumi.Input<string>;
  /** lethe:retentionSchedule */
  schedule: pulumi.Input<string>;
}

export const retentionFactory = () => createRetentionHandler();

export class RetentionFunction extends pulumi.ComponentResource {
  readonly retention: LetheFunction;
  readonly schedule: aws.cloudwatch.EventRule;

  constructor(name: string, args: RetentionFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:erasure:RetentionFunction", name, {}, opts);
    const parent = { parent: this };
    const withRule = pulumi.output(args.dataMappers).apply((ms) => ms.filter((m) => m.retention));
    this.retention = new LetheFunction(
      `${name}-retention`,
      {
        shortName: "retention",
        description:
          "Erases rows older than each data mapper's retention (whole partitions, or rows by time) through the forget path; signs its report",
        callbackFactory: retentionFactory,
        statements: pulumi
          .all([
            withRule,
            args.tables.locks.arn,
            args.tables.ledger.arn,
            args.reportBucketName,
            args.reportSigningKeyArn,
          ])
          .apply(([mappers, locks, ledger, reports, signingKey]) => [
            ...mappers.flatMap((m, i) =>
              locationStatements(`RetainMapper${i}`, m.location, lakeRewriteActions),
            ),
            tableGrant("HoldObjectLocks", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [locks]),
            tableGrant(
              "KeepLedger",
              ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
              [ledger],
            ),
            objectGrant("WriteRetentionReports", ["s3:PutObject"], reports, ["reports/retention/"]),
            signReports(signingKey),
          ]),
        environment: {
          [envNames.dataMappers]: withRule.apply((m) => JSON.stringify(m)),
          [envNames.locksTable]: args.tables.locks.name,
          [envNames.ledgerTable]: args.tables.ledger.name,
          [envNames.ledgerRetentionDays]: pulumi.output(args.ledgerRetentionDays).apply(String),
          [envNames.reportBucket]: args.reportBucketName,
          [envNames.reportSigningKeyArn]: args.reportSigningKeyArn,
          [envNames.kmsKeyArn]: args.kmsKeyArn,
          POWERTOOLS_SERVICE_NAME: "lethe-retention",
        },
        memorySizeMb: 2048,
        timeoutSeconds: 900,
        // One run at a time: two would race over the same objects (the locks would only serialise them).
        reservedConcurrentExecutions: 1,
        kmsKeyArn: args.kmsKeyArn,
        kmsViaServices: ["s3", "dynamodb"],
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      parent,
    );
    this.schedule = scheduleFunction(
      `${name}-retention`,
      this.retention,
      args.schedule,
      "Lethe: erase rows older than each data mapper's retention",
      args.tags,
      parent,
    );
    this.registerOutputs({ function: this.retention.function.name, schedule: this.schedule.name });
  }
}
