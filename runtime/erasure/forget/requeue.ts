// Putting a purge message back without spending its delivery budget. SQS counts every receive toward
// the redrive policy's maxReceiveCount, so a message that only waited for a busy lock, if simply left
// to reappear (or made visible later with ChangeMessageVisibility), would reach the dead-letter queue
// after a few busy locks without ever failing. Instead the purge function sends a copy with a delay
// (exponential backoff with jitter, at most SQS's 15 minutes) carrying the number of requeues in a
// message attribute, and acknowledges the original. The copy starts with a fresh receive count; after
// `maxRequeues` the message goes to the errors path like any other failure. Real failures (AWS errors,
// crashes) are not requeued: they are redelivered by SQS and count toward the dead-letter queue.
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";

export const requeuesAttribute = "lethe-requeues";
export const failureKindAttribute = "lethe-failure-kind";
export const failureReasonAttribute = "lethe-failure-reason";

/** SQS's longest message delay. */
export const maxDelaySeconds = 900;

/** Requeues so far, from a Lambda SQS record's attributes (`stringValue`) or an SDK message's (`StringValue`). */
export function requeuesOf(
  attributes: Record<string, { stringValue?: string; StringValue?: string }> | undefined,
): number {
  const a = attributes?.[requeuesAttribute];
  const n = Number(a?.stringValue ?? a?.StringValue ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** 2, 4, 8 ... seconds (capped at 15 minutes), each with up to 50 % jitter so waiters spread out. */
export function backoffSeconds(requeues: number, random: () => number = Math.random): number {
  const base = Math.min(maxDelaySeconds, 2 ** Math.min(requeues + 1, 10));
  return Math.min(maxDelaySeconds, Math.round(base * (1 + random() / 2)));
}

export async function requeueWithBackoff(
  sqs: SQSClient,
  queueUrl: string,
  body: string,
  requeues: number,
): Promise<number> {
  const delay = backoffSeconds(requeues);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      DelaySeconds: delay,
      MessageAttributes: { [requeuesAttribute]: { DataType: "Number", StringValue: String(requeues + 1) } },
    }),
  );
  return delay;
}

/** Sends a message no retry can cure straight to the dead-letter queue, with why, for the errors function. */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  body: string,
  kind: string,
  reason: string,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: body,
      MessageAttributes: {
        [failureKindAttribute]: { DataType: "String", StringValue: kind },
        // SQS attribute values are limited in size; the reason names an object and a cause, no IDs.
        [failureReasonAttribute]: { DataType: "String", StringValue: reason.slice(0, 4000) },
      },
    }),
  );
}
