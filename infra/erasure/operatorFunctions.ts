// The functions an operator (console, CLI) or a schedule invokes: request (intake), batch (collects
// open requests and starts one execution per batch; on a schedule), status, approval (answers the
// execution's task token), cancel (stops a batch's execution) and deadline (on a schedule: alerts
// before and after a request's deadline). Each has its own role: exact tables, prefixes, the state
// machine (batch may only start it, cancel only stop its executions, approval only answer its task tokens).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { scheduleFunction } from "../components/scheduledFunction";
import { Tags } from "../components/tags";
import { declaredNamed, LetheFunction, PolicyStatement } from "../components/letheFunction";
import { executionsOf, listGrant, objectGrant, publishGrant, tableGrant } from "../components/grants";
import { keySubjectHashes } from "../components/subjectHashKey";
import { envNames } from "../../runtime/contracts/env";
import { manifestRoot, requestIdsRoot } from "../../runtime/contracts/lakeSchema";
import { createRequestHandler } from "../../runtime/handlers/request";
import { createBatchHandler } from "../../runtime/handlers/batch";
import { createStatusHandler } from "../../runtime/handlers/status";
import { createApprovalHandler } from "../../runtime/handlers/approval";
import { createCancelHandler } from "../../runtime/handlers/cancel";
import { createOptInHandler } from "../../runtime/handlers/optIn";
import { createDeadlineHandler } from "../../runtime/handlers/deadline";
import type { TableRef } from "./purgeWorkers";

export interface OperatorFunctionsArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: pulumi.Input<number>;
  /** Every function gets the erasure settings (deadline, retentions) and the subject hash key. */
  erasureEnvironment: Record<string, pulumi.Input<string>>;
  tables: { requests: TableRef; ledger: TableRef; audit: TableRef; optOut: TableRef; idempotency: TableRef };
  lakeBucketName: pulumi.Input<string>;
  /** Where audit details too large for an item go (under audit/). */
  auditBucketName: pulumi.Input<string>;
  reportBucketName: pulumi.Input<string>;
  alertTopicArn: pulumi.Input<string>;
  subjectHashKeyArn: pulumi.Input<string>;
  /** The filter builder intake triggers once the subjects are registered as opted out. */
  filterBuilder: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  stateMachineArn: pulumi.Input<string>;
  batchSchedule: pulumi.Input<string>;
  batchMaxSubjects: pulumi.Input<number>;
  deadlineSchedule: pulumi.Input<string>;
  deadlineWarningDays: pulumi.Input<number>;
}

/** The factories the functions are serialized from (exported so a test can run exactly these). */
export const requestFactory = () => createRequestHandler();
export const batchFactory = () => createBatchHandler();
export const statusFactory = () => createStatusHandler();
export const approvalFactory = () => createApprovalHandler();
export const cancelFactory = () => createCancelHandler();
export const optInFactory = () => createOptInHandler();
export const deadlineFactory = () => createDeadlineHandler();

export type OperatorFunctionName =
  "request" | "batch" | "status" | "approval" | "cancel" | "opt-in" | "deadline";

export class OperatorFunctions extends pulumi.ComponentResource {
  readonly functions: Record<OperatorFunctionName, LetheFunction>;
  readonly schedules: { batch: aws.cloudwatch.EventRule; deadline: aws.cloudwatch.EventRule };
  /** The functions' dead-letter queues by short name, for Alerts. */
  readonly deadLetterQueueNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: OperatorFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:erasure:OperatorFunctions", name, {}, opts);
    const parent = { parent: this };
    const t = args.tables;
    const refs = pulumi.all({
      requests: t.requests.arn,
      ledger: t.ledger.arn,
      audit: t.audit.arn,
      optOut: t.optOut.arn,
      idempotency: t.idempotency.arn,
      lake: args.lakeBucketName,
      auditBucket: args.auditBucketName,
      reports: args.reportBucketName,
      topic: args.alertTopicArn,
      hashKey: args.subjectHashKeyArn,
      filterBuilder: args.filterBuilder.arn,
      machine: args.stateMachineArn,
    });
    type Refs = pulumi.Unwrap<typeof refs>;
    const audit = (r: Refs): PolicyStatement[] => [
      // Query: each audit entry chains from the request's last one (runtime/erasure/auditChain.ts).
      tableGrant("Audit", ["dynamodb:PutItem", "dynamodb:Query"], [r.audit]),
      objectGrant("AuditDetails", ["s3:PutObject"], r.auditBucket, ["audit/"]),
    ];
    // Request, cancel, approval and opt-in publish a new ingest filter at once (the filter builder).
    const rebuildFilter = (r: Refs): PolicyStatement => ({
      Sid: "RebuildFilter",
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: r.filterBuilder,
    });
    // Cancel and reject opt a request's subjects back in (runtime/erasure/release.ts): read its raw IDs,
    // find other holders among the requests (byStatus), hand over or delete each entry conditionally,
    // rebuild the filter.
    const releaseOptOuts = (r: Refs): PolicyStatement[] => [
      tableGrant("FindHolders", ["dynamodb:Query"], [r.requests], true),
      tableGrant(
        "ReleaseOptOuts",
        ["dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        [r.optOut],
      ),
      objectGrant("ReadRequestIds", ["s3:GetObject", "s3:GetObjectVersion"], r.lake, [requestIdsRoot]),
      rebuildFilter(r),
      keySubjectHashes(r.hashKey),
    ];
    const releaseEnv = {
      [envNames.optOutTable]: t.optOut.name,
      [envNames.lakeBucket]: args.lakeBucketName,
      [envNames.filterBuilderFunction]: args.filterBuilder.name,
    };
    const auditEnv = {
      [envNames.auditTable]: t.audit.name,
      [envNames.auditBucket]: args.auditBucketName,
      [envNames.kmsKeyArn]: args.kmsKeyArn,
    };

    const make = (
      shortName: OperatorFunctionName,
      description: string,
      callbackFactory: () => unknown,
      grants: (r: Refs) => PolicyStatement[],
      environment: Record<string, pulumi.Input<string>>,
      sizing: {
        kmsViaServices: string[];
        reservedConcurrency?: number;
      },
    ): LetheFunction =>
      new LetheFunction(
        `${name}-${shortName}`,
        {
          ...declaredNamed(shortName),
          description,
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          callbackFactory: callbackFactory as any,
          statements: refs.apply(grants),
          environment: {
            ...args.erasureEnvironment,
            [envNames.requestsTable]: t.requests.name,
            ...environment,
          },
          reservedConcurrentExecutions: sizing.reservedConcurrency,
          kmsKeyArn: args.kmsKeyArn,
          kmsViaServices: sizing.kmsViaServices,
          logRetentionDays: args.logRetentionDays,
          tags: args.tags,
        },
        parent,
      );

    this.functions = {
      request: make(
        "request",
        "Files an erasure request: checks every ID, keeps them on S3, registers the opt-outs and rebuilds the filter",
        requestFactory,
        (r) => [
          tableGrant(
            "RecordRequests",
            ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
            [r.requests],
          ),
          tableGrant(
            "Idempotency",
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            [r.idempotency],
          ),
          tableGrant(
            "RegisterOptOuts",
            ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
            [r.optOut],
          ),
          ...audit(r),
          objectGrant("KeepRequestIds", ["s3:PutObject"], r.lake, [requestIdsRoot]),
          rebuildFilter(r),
          keySubjectHashes(r.hashKey),
        ],
        {
          ...auditEnv,
          [envNames.idempotencyTable]: t.idempotency.name,
          [envNames.optOutTable]: t.optOut.name,
          [envNames.lakeBucket]: args.lakeBucketName,
          [envNames.filterBuilderFunction]: args.filterBuilder.name,
          // A request larger than one batch is split into parts of a batch each.
          [envNames.batchMaxSubjects]: pulumi.output(args.batchMaxSubjects).apply(String),
        },
        // Requests of up to 200,000 IDs are parsed, hashed and written in one invocation.
        { kmsViaServices: ["dynamodb", "s3"] },
      ),
      batch: make(
        "batch",
        "Collects open requests into a batch (manifest on S3) and starts its erasure execution; resumes a stopped batch",
        batchFactory,
        (r) => [
          tableGrant(
            "CollectRequests",
            ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem"],
            [r.requests],
            true,
          ),
          tableGrant(
            "CreateBatches",
            ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
            [r.ledger],
          ),
          ...audit(r),
          objectGrant("ReadRequestIds", ["s3:GetObject", "s3:GetObjectVersion"], r.lake, [requestIdsRoot]),
          objectGrant("WriteManifests", ["s3:PutObject"], r.lake, [manifestRoot]),
          { Sid: "StartErasure", Effect: "Allow", Action: "states:StartExecution", Resource: r.machine },
          // `lethe retry` resumes a stopped batch only when its last execution no longer runs.
          {
            Sid: "DescribeErasures",
            Effect: "Allow",
            Action: "states:DescribeExecution",
            Resource: executionsOf(r.machine),
          },
          keySubjectHashes(r.hashKey),
        ],
        {
          ...auditEnv,
          [envNames.ledgerTable]: t.ledger.name,
          [envNames.lakeBucket]: args.lakeBucketName,
          [envNames.stateMachineArn]: args.stateMachineArn,
          [envNames.batchMaxSubjects]: pulumi.output(args.batchMaxSubjects).apply(String),
        },
        // One batcher at a time: two would race for the same open requests.
        {
          kmsViaServices: ["dynamodb", "s3"],
          reservedConcurrency: 1,
        },
      ),
      status: make(
        "status",
        "Answers a request's state, deadline, days left, per-step counts and report location",
        statusFactory,
        (r) => [
          tableGrant("ReadRequests", ["dynamodb:GetItem"], [r.requests]),
          tableGrant("ReadBatches", ["dynamodb:GetItem"], [r.ledger]),
        ],
        { [envNames.ledgerTable]: t.ledger.name, [envNames.reportBucket]: args.reportBucketName },
        { kmsViaServices: ["dynamodb"] },
      ),
      approval: make(
        "approval",
        "Approves or rejects a batch waiting on its plan, resuming its execution",
        approvalFactory,
        (r) => [
          tableGrant("DecideBatches", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.ledger]),
          tableGrant("MoveRequests", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.requests]),
          ...audit(r),
          ...releaseOptOuts(r),
          {
            Sid: "AnswerTaskToken",
            Effect: "Allow",
            // A rejection is a decision too: the task succeeds with it and the machine ends the batch.
            Action: "states:SendTaskSuccess",
            Resource: r.machine,
          },
        ],
        {
          ...auditEnv,
          ...releaseEnv,
          [envNames.ledgerTable]: t.ledger.name,
          [envNames.stateMachineArn]: args.stateMachineArn,
        },
        { kmsViaServices: ["dynamodb", "s3"] },
      ),
      cancel: make(
        "cancel",
        "Cancels a request's batch: stops its execution, its requests become CANCELLED",
        cancelFactory,
        (r) => [
          tableGrant("CancelBatches", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.ledger]),
          tableGrant("CancelRequests", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.requests]),
          ...audit(r),
          ...releaseOptOuts(r),
          // A cancelled request's raw IDs are dropped at once, every version.
          objectGrant("DropRequestIds", ["s3:DeleteObject", "s3:DeleteObjectVersion"], r.lake, [
            requestIdsRoot,
          ]),
          listGrant("ListRequestIds", r.lake, [requestIdsRoot]),
          // Its idempotency record goes with them.
          tableGrant("ClearIdempotency", ["dynamodb:DeleteItem"], [r.idempotency]),
          {
            Sid: "StopErasure",
            Effect: "Allow",
            Action: "states:StopExecution",
            Resource: executionsOf(r.machine),
          },
        ],
        {
          ...auditEnv,
          ...releaseEnv,
          [envNames.idempotencyTable]: t.idempotency.name,
          [envNames.ledgerTable]: t.ledger.name,
          [envNames.stateMachineArn]: args.stateMachineArn,
        },
        { kmsViaServices: ["dynamodb", "s3"] },
      ),
      "opt-in": make(
        "opt-in",
        "Opts subjects back in to ingest (an operator's decision, audited) and rebuilds the filter",
        optInFactory,
        (r) => [
          tableGrant("ReadHolders", ["dynamodb:GetItem"], [r.requests]),
          tableGrant("OptIn", ["dynamodb:BatchGetItem", "dynamodb:DeleteItem"], [r.optOut]),
          ...audit(r),
          rebuildFilter(r),
          keySubjectHashes(r.hashKey),
        ],
        {
          ...auditEnv,
          [envNames.optOutTable]: t.optOut.name,
          [envNames.filterBuilderFunction]: args.filterBuilder.name,
        },
        { kmsViaServices: ["dynamodb", "s3"] },
      ),
      deadline: make(
        "deadline",
        "Alerts requests due within the warning window or past their deadline; publishes the deadline metrics; drops failed requests' raw IDs after the grace; flags batches whose execution ended without moving them",
        deadlineFactory,
        (r) => [
          tableGrant(
            "SweepRequests",
            ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem"],
            [r.requests],
            true,
          ),
          // A batch whose execution ended without moving it moves to NEEDS_ATTENTION (audited).
          tableGrant("FlagStrandedBatches", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.ledger]),
          {
            Sid: "DescribeErasures",
            Effect: "Allow",
            Action: "states:DescribeExecution",
            Resource: executionsOf(r.machine),
          },
          ...audit(r),
          publishGrant(r.topic),
          // A failed, cancelled or rejected request's raw IDs past the grace: every version, and the
          // idempotency record that goes with them.
          objectGrant("DropRequestIds", ["s3:DeleteObject", "s3:DeleteObjectVersion"], r.lake, [
            requestIdsRoot,
          ]),
          listGrant("ListRequestIds", r.lake, [requestIdsRoot]),
          tableGrant("ClearIdempotency", ["dynamodb:DeleteItem"], [r.idempotency]),
        ],
        {
          ...auditEnv,
          [envNames.alertTopicArn]: args.alertTopicArn,
          [envNames.deadlineWarningDays]: pulumi.output(args.deadlineWarningDays).apply(String),
          [envNames.idempotencyTable]: t.idempotency.name,
          [envNames.ledgerTable]: t.ledger.name,
        },
        {
          kmsViaServices: ["dynamodb", "sns", "s3"],
          reservedConcurrency: 1,
        },
      ),
    };

    const schedule = (label: "batch" | "deadline", expression: pulumi.Input<string>, description: string) =>
      scheduleFunction(`${name}-${label}`, this.functions[label], expression, description, args.tags, parent);
    this.schedules = {
      batch: schedule("batch", args.batchSchedule, "Lethe: collect open erasure requests into a batch"),
      deadline: schedule(
        "deadline",
        args.deadlineSchedule,
        "Lethe: alert erasure requests near or past their deadline",
      ),
    };
    this.deadLetterQueueNames = Object.fromEntries(
      Object.entries(this.functions).map(([short, f]) => [`${short}-function`, f.deadLetterQueue.name]),
    );
    this.registerOutputs(
      Object.fromEntries(Object.entries(this.functions).map(([k, f]) => [k, f.function.name])),
    );
  }
}
