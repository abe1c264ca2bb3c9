// The purge work queue (one message per lake object to rewrite) and its dead-letter queue. Both are
// KMS-encrypted with our key and refuse plain-HTTP access; after maxReceiveCount failed deliveries a
// message moves to the DLQ, whose consumer files it in the errors table.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./tags";
import { denyInsecureTransport } from "./policyDocuments";

export interface PurgeQueuesArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  maxReceiveCount: pulumi.Input<number>;
  visibilityTimeoutSeconds: pulumi.Input<number>;
}

export function tlsOnlyQueuePolicy(queueArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [denyInsecureTransport("sqs:*", queueArn)],
  });
}

export class PurgeQueues extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, args: PurgeQueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:queues:PurgeQueues", name, {}, opts);
    const parent = { parent: this };
    const fourteenDays = 14 * 24 * 3600;

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      {
        kmsMasterKeyId: args.kmsKeyArn,
        kmsDataKeyReusePeriodSeconds: 300,
        messageRetentionSeconds: fourteenDays,
        tags: args.tags,
      },
      parent,
    );
    this.queue = new aws.sqs.Queue(
      `${name}-queue`,
      {
        kmsMasterKeyId: args.kmsKeyArn,
        kmsDataKeyReusePeriodSeconds: 300,
        messageRetentionSeconds: fourteenDays,
        visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
        redrivePolicy: pulumi
          .all([this.deadLetterQueue.arn, args.maxReceiveCount])
          .apply(([deadLetterTargetArn, maxReceiveCount]) =>
            JSON.stringify({ deadLetterTargetArn, maxReceiveCount }),
          ),
        tags: args.tags,
      },
      parent,
    );
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-redrive-allow`,
      {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: this.queue.arn.apply((arn) =>
          JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] }),
        ),
      },
      parent,
    );
    for (const [suffix, q] of [
      ["queue", this.queue],
      ["dlq", this.deadLetterQueue],
    ] as const) {
      new aws.sqs.QueuePolicy(
        `${name}-${suffix}-tls-only`,
        { queueUrl: q.url, policy: q.arn.apply(tlsOnlyQueuePolicy) },
        parent,
      );
    }
    this.registerOutputs({ queueUrl: this.queue.url, deadLetterQueueUrl: this.deadLetterQueue.url });
  }
}
