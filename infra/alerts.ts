// Where operators hear about trouble: an encrypted SNS topic (optionally e-mailed) and alarms on
// every dead-letter queue, since a message there is an erasure that has not happened, and on metrics
// that must stay at zero (the ingest guard's FilterStale: it no longer trusts a filter).
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
}

export class Alerts extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:alerts:Alerts", name, {}, opts);
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
    const dlqAlarms = Object.entries(args.deadLetterQueues).map(
      ([label, queueName]): [string, AlarmedMetric] => [
        `${label}-dlq-not-empty`,
        {
          description: `Lethe ${label}: a message reached the dead-letter queue; an erasure step needs attention`,
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: queueName },
        },
      ],
    );
    // Every alarm fires on the first non-zero value in a 5-minute period and clears when it is zero again.
    for (const [label, metric] of [...dlqAlarms, ...Object.entries(args.metrics ?? {})]) {
      new aws.cloudwatch.MetricAlarm(
        `${name}-${label}`,
        {
          alarmDescription: metric.description,
          namespace: metric.namespace,
          metricName: metric.metricName,
          dimensions: metric.dimensions,
          statistic: "Maximum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [this.topic.arn],
          okActions: [this.topic.arn],
          tags: args.tags,
        },
        parent,
      );
    }
    this.registerOutputs({ topicArn: this.topic.arn });
  }
}
