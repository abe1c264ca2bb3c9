// Where operators hear about trouble: an encrypted SNS topic (optionally e-mailed) and alarms on
// every dead-letter queue, since a message there is an erasure that has not happened, and on metrics
// that must stay at zero (the ingest guard's FilterStale: it no longer trusts a filter; the deadline
// function's due-soon and overdue requests; every function's errors).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./components/tags";
import { denyInsecureTransport } from "./components/policyDocuments";

export interface AlertsArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  /** "" for no e-mail subscription. */
  alertEmail: string;
  /** Dead-letter queues whose first message raises an alarm, by a short label. */
  deadLetterQueues: Record<string, pulumi.Input<string>>;
  /** Metrics whose first non-zero value in a 5-minute period raises an alarm, by a short label. */
  metrics?: Record<string, AlarmedMetric>;
}

/** A custom metric (e.g. one a function emits with Powertools) that must stay at zero. */
export interface AlarmedMetric {
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  /** How the period's values are combined (default Maximum: any non-zero value alarms). */
  statistic?: "Maximum" | "Sum";
}

export class Alerts extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  private readonly baseName: string;
  private readonly tags: pulumi.Input<Tags>;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:alerts:Alerts", name, {}, opts);
    this.baseName = name;
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);

    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      { displayName: `Lethe ${pulumi.getStack()} alerts`, kmsMasterKeyId: args.kmsKeyArn, tags: args.tags },
      parent,
    );
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi.all([this.topic.arn, identity.accountId]).apply(([arn, account]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AllowAlarmsOfThisAccount",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: arn,
                Condition: { StringEquals: { "aws:SourceAccount": account } },
              },
              denyInsecureTransport("sns:Publish", arn),
            ],
          }),
        ),
      },
      parent,
    );
    if (args.alertEmail !== "") {
      new aws.sns.TopicSubscription(
        `${name}-email`,
        { topic: this.topic.arn, protocol: "email", endpoint: args.alertEmail },
        parent,
      );
    }
    this.tags = args.tags;
    this.watchDeadLetterQueues(args.deadLetterQueues);
    this.watchMetrics(args.metrics ?? {});
    this.registerOutputs({ topicArn: this.topic.arn });
  }

  /**
   * Alarms on each dead-letter queue (by a short label) once it holds a message. Also for queues of
   * components built after the topic (functions that need the topic's ARN).
   */
  watchDeadLetterQueues(queues: Record<string, pulumi.Input<string>>): void {
    for (const [label, queueName] of Object.entries(queues)) {
      this.alarm(`${label}-dlq-not-empty`, {
        description: `Lethe ${label}: a message reached the dead-letter queue; an erasure step needs attention`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: queueName },
      });
    }
  }

  /** Alarms on metrics that must stay at zero (by a short label), e.g. the deadline function's. */
  watchMetrics(metrics: Record<string, AlarmedMetric>): void {
    for (const [label, metric] of Object.entries(metrics)) this.alarm(label, metric);
  }

  /** Alarms on each function's errors (by a short label): an invocation that threw is a step not done. */
  watchFunctionErrors(functions: Record<string, pulumi.Input<string>>): void {
    for (const [label, functionName] of Object.entries(functions)) {
      this.alarm(`${label}-errors`, {
        description: `Lethe ${label}: the function failed; see its log group and dead-letter queue`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: functionName },
        statistic: "Sum",
      });
    }
  }

  /** Every alarm fires on the first non-zero value in a 5-minute period and clears when it is zero again. */
  private alarm(label: string, metric: AlarmedMetric): void {
    new aws.cloudwatch.MetricAlarm(
      `${this.baseName}-${label}`,
      {
        alarmDescription: metric.description,
        namespace: metric.namespace,
        metricName: metric.metricName,
        dimensions: metric.dimensions,
        statistic: metric.statistic ?? "Maximum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
        tags: this.tags,
      },
      { parent: this },
    );
  }
}
