// SQS: queues (attributes as declared, redrive included) and the policies the program attaches to
// them as their own resources. The emulator assigns queue URLs: each is recorded. moto does not hold
// a redrive-allow policy (it drops the attribute), so that resource type is reported as skipped.
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  QueueAttributeName,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
} from "@aws-sdk/client-sqs";
import {
  Declared,
  ignoringMissing,
  isMissing,
  LocalContext,
  recordLocal,
  ResourceTranslator,
} from "../context";

/** Queue resource inputs -> SQS attribute names. */
const attributeNames: Record<string, QueueAttributeName> = {
  delaySeconds: "DelaySeconds",
  maxMessageSize: "MaximumMessageSize",
  messageRetentionSeconds: "MessageRetentionPeriod",
  receiveWaitTimeSeconds: "ReceiveMessageWaitTimeSeconds",
  visibilityTimeoutSeconds: "VisibilityTimeout",
  kmsMasterKeyId: "KmsMasterKeyId",
  kmsDataKeyReusePeriodSeconds: "KmsDataKeyReusePeriodSeconds",
  redrivePolicy: "RedrivePolicy",
  policy: "Policy",
  fifoQueue: "FifoQueue",
  contentBasedDeduplication: "ContentBasedDeduplication",
};

function attributes(inputs: Record<string, unknown>): Partial<Record<QueueAttributeName, string>> {
  const out: Partial<Record<QueueAttributeName, string>> = {};
  for (const [input, attribute] of Object.entries(attributeNames)) {
    const v = inputs[input];
    if (v !== undefined && v !== "" && v !== null) out[attribute] = String(v);
  }
  return out;
}

async function queueUrl(sqs: SQSClient, QueueName: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName }))).QueueUrl;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function queueUp(r: Declared, ctx: LocalContext): Promise<void> {
  const sqs = ctx.clients.sqs;
  const QueueName = r.mocked.name as string;
  const Attributes = attributes(r.inputs);
  let url = await queueUrl(sqs, QueueName);
  if (url) {
    // FifoQueue cannot change after creation; the rest is brought in line.
    delete Attributes.FifoQueue;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes }));
    if (r.inputs.tags) await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: r.inputs.tags }));
  } else {
    url = (await sqs.send(new CreateQueueCommand({ QueueName, Attributes, tags: r.inputs.tags }))).QueueUrl!;
  }
  recordLocal(ctx, r.mocked.url, url);
  recordLocal(ctx, r.mocked.id, url);
}

/** A queue attribute the program declares as a resource of its own. */
function queueAttribute(input: string, attribute: QueueAttributeName): ResourceTranslator {
  return {
    up: (r, ctx) =>
      ctx.clients.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: r.inputs.queueUrl,
          Attributes: { [attribute]: String(r.inputs[input]) },
        }),
      ),
  };
}

export const sqsTranslators: Record<string, ResourceTranslator> = {
  "aws:sqs/queue:Queue": {
    up: queueUp,
    down: async (r, ctx) => {
      const url = await queueUrl(ctx.clients.sqs, r.mocked.name);
      if (url) await ignoringMissing(() => ctx.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })));
    },
  },
  "aws:sqs/queuePolicy:QueuePolicy": queueAttribute("policy", "Policy"),
  "aws:sqs/redrivePolicy:RedrivePolicy": queueAttribute("redrivePolicy", "RedrivePolicy"),
};
