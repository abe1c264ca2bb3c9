// Runs a Lambda SQS handler against a queue the way Lambda's event source mapping does: receive up to
// `batchSize` messages, invoke, delete the ones the reply does not list in batchItemFailures (those
// reappear after the visibility timeout). Lets tests and benchmarks drive the purge function locally.
import { DeleteMessageBatchCommand, Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";

export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  eventSource: "aws:sqs";
  attributes: Record<string, string>;
  messageAttributes: Record<string, { stringValue?: string; dataType?: string }>;
}

export type SqsHandler = (
  event: { Records: SqsEventRecord[] },
  context: { getRemainingTimeInMillis(): number },
) => Promise<unknown>;

export interface PollOptions {
  batchSize?: number;
  /** Each receive's visibility timeout (default: the queue's own, as an event source mapping has it). */
  visibilityTimeoutSeconds?: number;
  /** Stop after this many empty receives in a row (each waits up to 1 s). */
  idleReceives?: number;
  /** The function timeout the handler is told it has. */
  timeoutMs?: number;
  /** Also stop as soon as this says so (checked between receives). */
  stop?: () => boolean;
  /** Told of an invocation that threw (Lambda logs it as the invocation's error); default: stderr. */
  onInvokeError?: (err: unknown) => void;
}

export function lambdaRecord(m: Message): SqsEventRecord {
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    eventSource: "aws:sqs",
    attributes: { ...(m.Attributes as Record<string, string>) },
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        { stringValue: v.StringValue, dataType: v.DataType },
      ]),
    ),
  };
}

/** Polls until the queue stays empty; returns how many messages were handled and how many failed. */
export async function pollQueue(
  sqs: SQSClient,
  queueUrl: string,
  handler: SqsHandler,
  options: PollOptions = {},
): Promise<{ invocations: number; messages: number; failures: number }> {
  const {
    batchSize = 1,
    visibilityTimeoutSeconds,
    idleReceives = 3,
    timeoutMs = 600_000,
    stop,
    onInvokeError = logInvokeError,
  } = options;
  const totals = { invocations: 0, messages: 0, failures: 0 };
  for (let idle = 0; idle < idleReceives && !stop?.();) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: 1,
        VisibilityTimeout: visibilityTimeoutSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) {
      idle++;
      continue;
    }
    idle = 0;
    const started = Date.now();
    // A handler that throws fails its whole batch, as an invocation error does in Lambda.
    const reply = (await handler(
      { Records: messages.map(lambdaRecord) },
      { getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started) },
    ).catch((err: unknown) => {
      onInvokeError(err);
      return { batchItemFailures: messages.map((m) => ({ itemIdentifier: m.MessageId! })) };
    })) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
    const failed = new Set((reply?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    totals.invocations++;
    totals.messages += messages.length;
    totals.failures += failed.size;
  }
  return totals;
}

/** What Lambda's runtime writes for an invocation that threw. */
function logInvokeError(err: unknown): void {
  const e = err as Error;
  process.stderr.write(
    `${JSON.stringify({ level: "ERROR", message: "Invoke Error", errorType: e?.name, errorMessage: e?.message, stack: e?.stack?.split("\n").slice(1, 6) })}\n`,
  );
}
