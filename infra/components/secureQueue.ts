// The one way Lethe makes an SQS queue: encrypted with the stack key, refusing plain-HTTP access,
// messages kept 14 days (the SQS maximum, so a DLQ outlives a long weekend).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./tags";
import { denyInsecureTransport } from "./policyDocuments";

export interface SecureQueueArgs {
  kmsKeyArn: pulumi.Input<string>;
  tags: pulumi.Input<Tags>;
  visibilityTimeoutSeconds?: pulumi.Input<number>;
  redrivePolicy?: pulumi.Input<string>;
}

export const queueRetentionSeconds = 14 * 24 * 3600;

export function tlsOnlyQueuePolicy(queueArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [denyInsecureTransport("sqs:*", queueArn)],
  });
}

/** Creates queue `name` and its TLS-only policy `name-tls-only`, both children of `opts.parent`. */
export function secureQueue(
  name: string,
  args: SecureQueueArgs,
  opts: pulumi.CustomResourceOptions,
): aws.sqs.Queue {
  const queue = new aws.sqs.Queue(
    name,
    {
      kmsMasterKeyId: args.kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: queueRetentionSeconds,
      visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
      redrivePolicy: args.redrivePolicy,
      tags: args.tags,
    },
    opts,
  );
  new aws.sqs.QueuePolicy(
    `${name}-tls-only`,
    { queueUrl: queue.url, policy: queue.arn.apply(tlsOnlyQueuePolicy) },
    opts,
  );
  return queue;
}
