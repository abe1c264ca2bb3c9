// SQS queues carry erasure work (customer IDs): encrypted with our key, and a failed message must land
// somewhere (a redrive policy) unless the queue is itself where failed messages land.
import type { PolicyResource } from "@pulumi/policy";
import {
  asChecked,
  customerManagedKeyRule,
  at,
  inGdprScope,
  known,
  label,
  scopeDefaults,
  stackRule,
  StackView,
  text,
} from "./common";
import { T } from "./types";

export const sqsKmsEncryption = customerManagedKeyRule({
  name: "sqs-kms-encryption",
  description:
    "GDPR SQS queues are encrypted with a customer-managed KMS key (not SSE-SQS or alias/aws/sqs).",
  type: T.queue,
  property: "kmsMasterKeyId",
  fixHint: " (and kmsDataKeyReusePeriodSeconds) on the queue",
});

/**
 * Queues that are where failures land: the redrive target of another queue (inline or through an
 * aws.sqs.RedrivePolicy), a Lambda's deadLetterConfig target, or an on-failure destination.
 */
function deadLetterQueues(stack: StackView): Set<PolicyResource> {
  const dlqs = new Set<PolicyResource>();
  for (const fn of stack.ofType(T.function))
    for (const q of stack.referenced(fn, "deadLetterConfig", [T.queue])) dlqs.add(q);
  for (const c of stack.ofType(T.eventInvokeConfig))
    for (const q of stack.referenced(c, "destinationConfig", [T.queue])) dlqs.add(q);
  const targets = [
    ...stack.ofType(T.function).map((f) => known(() => at(f.props, "deadLetterConfig", "targetArn"))),
    ...stack
      .ofType(T.eventInvokeConfig)
      .map((c) => known(() => at(c.props, "destinationConfig", "onFailure", "destination"))),
  ].filter((t): t is string => typeof t === "string");
  for (const q of stack.ofType(T.queue)) if (targets.includes(String(known(() => q.props.arn)))) dlqs.add(q);
  for (const source of [...stack.ofType(T.queue), ...stack.ofType(T.queueRedrivePolicy)]) {
    for (const q of stack.referenced(source, "redrivePolicy", [T.queue])) if (q !== source) dlqs.add(q);
    const policy = text(known(() => source.props.redrivePolicy));
    if (!policy) continue;
    let target: string | undefined;
    try {
      target = JSON.parse(policy).deadLetterTargetArn;
    } catch {
      continue;
    }
    for (const q of stack.ofType(T.queue)) if (known(() => q.props.arn) === target) dlqs.add(q);
  }
  return dlqs;
}

export const sqsRedrivePolicy = stackRule({
  name: "sqs-redrive-policy",
  description:
    "GDPR SQS queues move poison messages to a dead-letter queue (redrivePolicy), unless they are themselves a dead-letter queue.",
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    const dlqs = deadLetterQueues(stack);
    for (const q of stack.ofType(T.queue).filter((x) => inGdprScope(asChecked(x), cfg))) {
      if (dlqs.has(q)) continue;
      const inline = text(known(() => q.props.redrivePolicy));
      const separate = stack.referencing(q, [T.queueRedrivePolicy], "queueUrl").length > 0;
      if (!inline && !separate) {
        report(
          asChecked(q),
          `${label(asChecked(q))} has no redrive policy and is no other queue's dead-letter queue: a message that keeps failing ` +
            "is retried until it expires and is lost. Set `redrivePolicy: JSON.stringify({ deadLetterTargetArn: <DLQ ARN>, maxReceiveCount: 5 })`.",
        );
      }
    }
  },
});

export const sqsRules = [sqsKmsEncryption, sqsRedrivePolicy];
