// The operators' CloudWatch dashboard: requests by state and the oldest open request's age (the
// deadline function's figures), dead-letter queue depth, function errors, Athena bytes scanned by
// find, and the state machine's executions. Read-only: alarms live in alerts.ts.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { watchedStates } from "../runtime/erasure/deadlines";
import { deadlineMetrics, deadlineServiceName, requestStateDimension } from "../runtime/handlers/deadline";

export interface OperationsDashboardArgs {
  region: pulumi.Input<string>;
  /** Dead-letter queue names by a short label. */
  deadLetterQueues: Record<string, pulumi.Input<string>>;
  /** Function names by a short label. */
  functions: Record<string, pulumi.Input<string>>;
  stateMachineArn: pulumi.Input<string>;
}

/** The find function's metric of Athena bytes scanned (runtime/handlers/find.ts). */
export const findBytesScanned = { metricName: "FindBytesScanned", service: "lethe-find" };

type Metric = (string | { label?: string; stat?: string })[];

function widget(title: string, metrics: Metric[], region: string, x: number, y: number, stat = "Maximum") {
  return {
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, metrics, region, stat, period: 300, view: "timeSeries", stacked: false },
  };
}

export class OperationsDashboard extends pulumi.ComponentResource {
  readonly dashboard: aws.cloudwatch.Dashboard;
  /** The dashboard body as deployed (JSON text). */
  readonly body: pulumi.Output<string>;

  constructor(name: string, args: OperationsDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:operations:OperationsDashboard", name, {}, opts);
    const labelled = (r: Record<string, pulumi.Input<string>>) =>
      pulumi.all(Object.entries(r).map(([label, v]) => pulumi.all([label, v])));
    this.body = pulumi
      .all([args.region, labelled(args.deadLetterQueues), labelled(args.functions), args.stateMachineArn])
      .apply(([region, queues, functions, machine]) => {
        const deadline = (metric: string, extra: string[] = []): Metric => [
          "Lethe",
          metric,
          "service",
          deadlineServiceName,
          ...extra,
        ];
        return JSON.stringify({
          widgets: [
            widget(
              "Erasure requests by state",
              watchedStates.map((s) => [
                ...deadline(deadlineMetrics.inState, [requestStateDimension, s]),
                { label: s },
              ]),
              region,
              0,
              0,
            ),
            widget(
              "Oldest open request (days) and deadlines",
              [
                [...deadline(deadlineMetrics.oldestOpenAgeDays), { label: "oldest open request, days" }],
                [...deadline(deadlineMetrics.dueSoon), { label: "due soon" }],
                [...deadline(deadlineMetrics.overdue), { label: "overdue" }],
              ],
              region,
              12,
              0,
            ),
            widget(
              "Dead-letter queue depth",
              queues.map(([label, q]) => [
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                q,
                { label },
              ]),
              region,
              0,
              6,
            ),
            widget(
              "Function errors",
              functions.map(([label, f]) => ["AWS/Lambda", "Errors", "FunctionName", f, { label }]),
              region,
              12,
              6,
              "Sum",
            ),
            widget(
              "Athena bytes scanned by find",
              [
                [
                  "Lethe",
                  findBytesScanned.metricName,
                  "service",
                  findBytesScanned.service,
                  { label: "bytes scanned" },
                ],
              ],
              region,
              0,
              12,
              "Sum",
            ),
            widget(
              "Erasure executions",
              ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsAborted"].map(
                (m) => ["AWS/States", m, "StateMachineArn", machine, { label: m }],
              ),
              region,
              12,
              12,
              "Sum",
            ),
          ],
        });
      });
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName: `lethe-${pulumi.getStack()}-operations`, dashboardBody: this.body },
      { parent: this },
    );
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });
  }
}
