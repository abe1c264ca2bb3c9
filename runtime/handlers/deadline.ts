// Deadline Lambda: run on a schedule (EventBridge), or from the console with `{}`. Alerts (SNS) each
// request due within the warning window or past its deadline once, publishes the figures the alarms
// and the dashboard read, and drops the raw IDs of failed, cancelled or rejected requests past their
// deadline plus lethe:failedRequestIdGraceDays (nothing else may touch such a request again). Batches
// whose execution ended without moving them (runtime/erasure/stranded.ts) move to NEEDS_ATTENTION, so
// no request shows FORGETTING forever with nothing behind it. Replies with the sweep (request and batch
// ids and counts; never a subject ID).
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { makeDocumentClient, makeS3Client, makeSfnClient, makeSnsClient } from "../aws/clients";
import { Env, envNames, numberEnv, requiredEnv } from "../contracts/env";
import { DeadlineSweep, sweepDeadlines } from "../erasure/deadlines";
import { sweepFailedRequestIds } from "../erasure/request";
import { flagStrandedBatches, StrandedBatch, StrandedDeps } from "../erasure/stranded";
import { auditSettingsFromEnv, rawIdSettingsFromEnv } from "./optOutDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const deadlineServiceName = letheFunctions.deadline.serviceName;

/** The metric names the program's alarms and dashboard use. */
export const deadlineMetrics = {
  open: "RequestsOpen",
  dueSoon: "RequestsDueSoon",
  overdue: "RequestsOverdue",
  oldestOpenAgeDays: "OldestOpenRequestAgeDays",
  /** Requests in one state, with dimension `state`. */
  inState: "RequestsInState",
} as const;

/** The dimension of deadlineMetrics.inState. */
export const requestStateDimension = "state";

/** The deadline function's reply: the sweep, and the requests whose raw IDs this run dropped. */
export interface DeadlineRun extends DeadlineSweep {
  rawIdsDropped: string[];
  /** Batches whose execution ended without moving them, moved to NEEDS_ATTENTION by this run. */
  strandedBatches: StrandedBatch[];
}

/** An execution's status through Step Functions DescribeExecution; undefined when there is none. */
export function sfnExecutionStatus(): StrandedDeps["executionStatus"] {
  const sfn = makeSfnClient();
  return async (executionArn) => {
    try {
      return (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
    } catch (err) {
      if ((err as Error).name === "ExecutionDoesNotExist") return undefined;
      throw err;
    }
  };
}

export function createDeadlineHandler(env: Env = process.env): (event?: unknown) => Promise<DeadlineRun> {
  const tools = handlerTools(deadlineServiceName);
  const { logger, metrics } = tools;
  const deps = {
    doc: makeDocumentClient(),
    sns: makeSnsClient(),
    requestsTable: requiredEnv(env, envNames.requestsTable),
    alertTopicArn: requiredEnv(env, envNames.alertTopicArn),
    warnDays: numberEnv(env, envNames.deadlineWarningDays, 0, 365),
  };
  const s3 = makeS3Client();
  const rawIds = rawIdSettingsFromEnv(env, deps, s3);
  const stranded: StrandedDeps = {
    doc: deps.doc,
    requestsTable: deps.requestsTable,
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    audit: auditSettingsFromEnv(env, s3),
    executionStatus: sfnExecutionStatus(),
  };
  return letheHandler(tools, async () => {
    // First, so the requests it moves are counted (and alerted) as they now are.
    const strandedBatches = await flagStrandedBatches(stranded);
    const sweep = await sweepDeadlines(deps);
    const rawIdsDropped = await sweepFailedRequestIds(rawIds);
    metrics.addMetric(deadlineMetrics.open, MetricUnit.Count, sweep.openRequests);
    metrics.addMetric(deadlineMetrics.dueSoon, MetricUnit.Count, sweep.dueSoon);
    metrics.addMetric(deadlineMetrics.overdue, MetricUnit.Count, sweep.overdue);
    metrics.addMetric(deadlineMetrics.oldestOpenAgeDays, MetricUnit.Count, sweep.oldestOpenAgeDays);
    for (const [state, n] of Object.entries(sweep.byState)) {
      const m = metrics.singleMetric();
      m.addDimension(requestStateDimension, state);
      m.addMetric(deadlineMetrics.inState, MetricUnit.Count, n);
    }
    metrics.publishStoredMetrics();
    for (const b of strandedBatches)
      logger.warn(
        `batch ${b.batchId} needs attention: its execution ended (${b.execution}) while it was ${b.state}`,
      );
    logger.info("deadline sweep", {
      ...sweep,
      findings: sweep.findings.length,
      rawIdsDropped,
      strandedBatches,
    });
    return { ...sweep, rawIdsDropped, strandedBatches };
  });
}
