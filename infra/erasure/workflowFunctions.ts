// The state machine's task functions besides find: request-approval (task token out, plan summary to
// SNS), enqueue-purges (one purge message per planned object), poll-ledger (the batch's counters),
// verify (find again, with find's own grants), report (reports out, raw IDs dropped) and
// needs-attention (the batch's end when anything went wrong: the batch and its requests moved, SNS). Each has its own role, naming exactly
// the tables, prefixes, queue and topic it touches.
import * as pulumi from "@pulumi/pulumi";
import { Tags } from "../components/tags";
import { declaredNamed, LetheFunction, PolicyStatement } from "../components/letheFunction";
import { letheFunctions, taskFunctions } from "../../runtime/contracts/functions";
import { auditMoveGrants, listGrant, objectGrant, publishGrant, tableGrant } from "../components/grants";
import { keySubjectHashes } from "../components/subjectHashKey";
import { signReports } from "../components/reportSigningKey";
import { envNames } from "../../runtime/contracts/env";
import { manifestRoot, planRoot, requestIdsRoot } from "../../runtime/contracts/lakeSchema";
import type { WorkflowTask } from "../../runtime/erasure/workflow/definition";
import { createRequestApprovalHandler } from "../../runtime/handlers/requestApproval";
import { createEnqueuePurgesHandler } from "../../runtime/handlers/enqueuePurges";
import { createPollLedgerHandler } from "../../runtime/handlers/pollLedger";
import { createVerifyHandler } from "../../runtime/handlers/verify";
import { createReportHandler } from "../../runtime/handlers/report";
import { createNeedsAttentionHandler } from "../../runtime/handlers/needsAttention";
import type { QueueRef, TableRef } from "./purgeWorkers";

export interface WorkflowFunctionsArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: pulumi.Input<number>;
  /** Every function gets the erasure settings (deadline, retentions) and the subject hash key. */
  erasureEnvironment: Record<string, pulumi.Input<string>>;
  tables: { requests: TableRef; ledger: TableRef; audit: TableRef; idempotency: TableRef };
  lakeBucketName: pulumi.Input<string>;
  auditBucketName: pulumi.Input<string>;
  reportBucketName: pulumi.Input<string>;
  /** The report signing key (only the report function may sign), and what each report names as its origin. */
  reportSigning: { keyArn: pulumi.Input<string>; stack: string; programVersion: string };
  purgeQueue: QueueRef;
  alertTopicArn: pulumi.Input<string>;
  subjectHashKeyArn: pulumi.Input<string>;
  /** What the find function may do and is told: verify finds again, no more and no less. */
  find: { statements: pulumi.Input<PolicyStatement[]>; environment: Record<string, pulumi.Input<string>> };
  /** The HTTP API's signed approval links (infra/api/erasureApi.ts): request-approval puts them in the notification. */
  approvalLinks?: {
    environment: Record<string, pulumi.Input<string>>;
    statements: pulumi.Input<PolicyStatement[]>;
  };
}

/** The factories the functions are serialized from (exported so a test can run exactly these). */
export const requestApprovalFactory = () => createRequestApprovalHandler();
export const enqueuePurgesFactory = () => createEnqueuePurgesHandler();
export const pollLedgerFactory = () => createPollLedgerHandler();
export const verifyFactory = () => createVerifyHandler();
export const reportFactory = () => createReportHandler();
export const needsAttentionFactory = () => createNeedsAttentionHandler();

/** The longest a task function runs (verify's Athena queries): the state machine's task timeout. */
export const longestTaskSeconds = Math.max(
  ...Object.values(taskFunctions).map((key) => letheFunctions[key].timeoutSeconds),
);

type TaskFunctions = Record<Exclude<WorkflowTask, "find">, LetheFunction>;

export class WorkflowFunctions extends pulumi.ComponentResource {
  readonly functions: TaskFunctions;
  /** The functions' dead-letter queues by short name, for Alerts. */
  readonly deadLetterQueueNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: WorkflowFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:erasure:WorkflowFunctions", name, {}, opts);
    const parent = { parent: this };
    const t = args.tables;
    const refs = pulumi.all({
      requests: t.requests.arn,
      ledger: t.ledger.arn,
      audit: t.audit.arn,
      idempotency: t.idempotency.arn,
      lake: args.lakeBucketName,
      auditBucket: args.auditBucketName,
      reports: args.reportBucketName,
      queue: args.purgeQueue.arn,
      topic: args.alertTopicArn,
      hashKey: args.subjectHashKeyArn,
      signingKey: args.reportSigning.keyArn,
    });
    type Refs = pulumi.Unwrap<typeof refs>;
    const batchGrants = (r: Refs): PolicyStatement[] => [
      tableGrant("KeepBatchRecord", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.ledger]),
      tableGrant("MoveRequests", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.requests]),
      ...auditMoveGrants(r.audit, r.auditBucket),
    ];
    // Every function may move a request (needs-attention, report...): each move is audited.
    const tableEnv = {
      [envNames.requestsTable]: t.requests.name,
      [envNames.ledgerTable]: t.ledger.name,
      [envNames.auditTable]: t.audit.name,
      [envNames.auditBucket]: args.auditBucketName,
      [envNames.kmsKeyArn]: args.kmsKeyArn,
    };

    const byShortName: Record<string, LetheFunction> = {};
    const make = (
      shortName: string,
      description: string,
      callbackFactory: () => unknown,
      grants: (r: Refs) => PolicyStatement[],
      environment: Record<string, pulumi.Input<string>>,
      sizing: { kmsViaServices: string[] },
      extraStatements?: pulumi.Input<PolicyStatement[]>,
    ): LetheFunction =>
      (byShortName[shortName] = new LetheFunction(
        `${name}-${shortName}`,
        {
          ...declaredNamed(shortName),
          description,
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          callbackFactory: callbackFactory as any,
          statements: pulumi
            .all([refs, extraStatements ?? []])
            .apply(([r, extra]) => [...grants(r), ...extra]),
          environment: {
            ...args.erasureEnvironment,
            ...tableEnv,
            ...environment,
          },
          kmsKeyArn: args.kmsKeyArn,
          kmsViaServices: sizing.kmsViaServices,
          logRetentionDays: args.logRetentionDays,
          tags: args.tags,
        },
        parent,
      ));

    this.functions = {
      requestApproval: make(
        "request-approval",
        "Holds a batch's task token and sends its plan summary (counts, no IDs) and how to approve to SNS",
        requestApprovalFactory,
        (r) => [...batchGrants(r), publishGrant(r.topic)],
        { [envNames.alertTopicArn]: args.alertTopicArn, ...args.approvalLinks?.environment },
        { kmsViaServices: ["dynamodb", "sns"] },
        args.approvalLinks?.statements,
      ),
      enqueuePurges: make(
        "enqueue-purges",
        "Sends one purge message per object of a batch's plan and opens the batch's ledger",
        enqueuePurgesFactory,
        (r) => [
          ...batchGrants(r),
          tableGrant(
            "OpenLedger",
            ["dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:Query"],
            [r.ledger],
          ),
          objectGrant("ReadPlans", ["s3:GetObject", "s3:GetObjectVersion"], r.lake, [planRoot]),
          {
            Sid: "EnqueuePurges",
            Effect: "Allow",
            Action: ["sqs:SendMessage", "sqs:GetQueueAttributes"],
            Resource: r.queue,
          },
        ],
        { [envNames.lakeBucket]: args.lakeBucketName, [envNames.purgeQueueUrl]: args.purgeQueue.url },
        { kmsViaServices: ["dynamodb", "s3", "sqs"] },
      ),
      pollLedger: make(
        "poll-ledger",
        "Reads a batch's ledger counters: are all its objects purged, and is the deadline past",
        pollLedgerFactory,
        (r) => [
          tableGrant("ReadLedger", ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"], [r.ledger]),
        ],
        {},
        { kmsViaServices: ["dynamodb"] },
      ),
      verify: make(
        "verify",
        "Finds a batch's subjects again (every object written since find, every version found) after the drain",
        verifyFactory,
        (r) => [
          ...batchGrants(r),
          tableGrant("ReadLedger", ["dynamodb:Query"], [r.ledger]),
          objectGrant("ReadPlans", ["s3:GetObject", "s3:GetObjectVersion"], r.lake, [planRoot]),
          listGrant("ListPlans", r.lake, [planRoot]),
        ],
        args.find.environment,
        { kmsViaServices: ["dynamodb", "s3", "athena"] },
        args.find.statements,
      ),
      report: make(
        "report",
        "Writes each request's report (keyed hashes only) to the report bucket and drops the raw IDs everywhere",
        reportFactory,
        (r) => [
          ...batchGrants(r),
          tableGrant("ReadLedger", ["dynamodb:Query"], [r.ledger]),
          tableGrant("ReadRequests", ["dynamodb:Query"], [r.requests], true),
          tableGrant("Audit", ["dynamodb:PutItem", "dynamodb:Query"], [r.audit]),
          objectGrant("AuditDetails", ["s3:GetObject", "s3:PutObject"], r.auditBucket, ["audit/"]),
          objectGrant("WriteReports", ["s3:PutObject", "s3:GetObject"], r.reports, ["reports/"]),
          objectGrant("ReadPlans", ["s3:GetObject", "s3:GetObjectVersion"], r.lake, [planRoot]),
          objectGrant(
            "DropRawIds",
            ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion"],
            r.lake,
            [requestIdsRoot, manifestRoot],
          ),
          listGrant("ListRawIds", r.lake, [requestIdsRoot, manifestRoot]),
          // A request's idempotency record goes with its raw IDs.
          tableGrant("ClearIdempotency", ["dynamodb:DeleteItem"], [r.idempotency]),
          keySubjectHashes(r.hashKey),
          signReports(r.signingKey),
        ],
        {
          [envNames.reportSigningKeyArn]: args.reportSigning.keyArn,
          [envNames.stackName]: args.reportSigning.stack,
          [envNames.programVersion]: args.reportSigning.programVersion,
          [envNames.auditTable]: t.audit.name,
          [envNames.auditBucket]: args.auditBucketName,
          [envNames.reportBucket]: args.reportBucketName,
          [envNames.lakeBucket]: args.lakeBucketName,
          [envNames.kmsKeyArn]: args.kmsKeyArn,
          [envNames.idempotencyTable]: t.idempotency.name,
        },
        { kmsViaServices: ["dynamodb", "s3"] },
      ),
      needsAttention: make(
        "needs-attention",
        "Ends a batch NEEDS_ATTENTION with the reason, audits it and alerts SNS",
        needsAttentionFactory,
        (r) => [...batchGrants(r), publishGrant(r.topic)],
        { [envNames.alertTopicArn]: args.alertTopicArn },
        { kmsViaServices: ["dynamodb", "sns"] },
      ),
    };
    this.deadLetterQueueNames = Object.fromEntries(
      Object.entries(byShortName).map(([short, f]) => [`${short}-function`, f.deadLetterQueue.name]),
    );
    this.registerOutputs(
      Object.fromEntries(Object.entries(this.functions).map(([k, f]) => [k, f.function.name])),
    );
  }
}
