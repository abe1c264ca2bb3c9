// Deadline Lambda: run on a schedule (EventBridge), or from the console with `{}`. Alerts (SNS) each
// request due within the warning window or past its deadline once, publishes the figures the alarms
// and the dashboard read, and drops the raw IDs of failed, cancelled or rejected requests past their
// deadline plus lethe:failedRequestIdGraceDays (nothing else may touch such a request again). Replies
// with the sweep (request ids and counts; never a subject ID).
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { makeDocumentClient, makeS3Client, makeSnsClient } from "../aws/clients";
import { Env, envNames, numberEnv, requiredEnv } from "../contracts/env";
import { DeadlineSweep, sweepDeadlines } from "../erasure/deadlines";
import { sweepFailedRequestIds } from "../erasure/request";
import { rawIdSettingsFromEnv } from "./optOutDeps";

export const deadlineServiceName = "lethe-deadline";

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
}

export function createDeadlineHandler(env: Env = process.env): (event?: unknown) => Promise<DeadlineRun> {
  const logger = new Logger({ serviceName: deadlineServiceName });
  const metrics = new Metrics({ namespace: "Lethe", serviceName: deadlineServiceName });
  const deps = {
    doc: makeDocumentClient(),
    sns: makeSnsClient(),
    requestsTable: requiredEnv(env, envNames.requestsTable),
    alertTopicArn: requiredEnv(env, envNames.alertTopicArn),
    warnDays: numberEnv(env, envNames.deadlineWarningDays, 0, 365),
  };
  const rawIds = rawIdSettingsFromEnv(env, deps, makeS3Client());
  return async () => {
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
    logger.info("deadline sweep", { ...sweep, findings: sweep.findings.length, rawIdsDropped });
    return { ...sweep, rawIdsDropped };
  };
}
