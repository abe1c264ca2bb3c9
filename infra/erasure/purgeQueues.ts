// The purge work queue (one message per lake object to rewrite) and its dead-letter queue. Both are
// KMS-encrypted with our key and refuse plain-HTTP access; after maxReceiveCount failed deliveries a
// message moves to the DLQ, whose consumer files it in the errors table.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { secureQueue } from "../components/secureQueue";

export interface PurgeQueuesArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  maxReceiveCount: pulumi.Input<number>;
  visibilityTimeoutSeconds: pulumi.Input<number>;
}

export class PurgeQueues extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, args: PurgeQueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:queues:PurgeQueues", name, {}, opts);
    const parent = { parent: this };
    this.deadLetterQueue = secureQueue(`${name}-dlq`, { kmsKeyArn: args.kmsKeyArn, tags: args.tags }, parent);
    this.queue = secureQueue(
      `${name}-queue`,
      {
        kmsKeyArn: args.kmsKeyArn,
        tags: args.tags,
        visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
        redrivePolicy: pulumi
          .all([this.deadLetterQueue.arn, args.maxReceiveCount])
          .apply(([deadLetterTargetArn, maxReceiveCount]) =>
            JSON.stringify({ deadLetterTargetArn, maxReceiveCount }),
          ),
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
    this.registerOutputs({ queueUrl: this.queue.url, deadLetterQueueUrl: this.deadLetterQueue.url });
  }
}
