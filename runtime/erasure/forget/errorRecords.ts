// The errors table (tableShapes.errors): one item per object that Lethe could not purge, for a person
// to adjudicate: the object, the batch, the reason; never a subject's ID. Written once per object and
// round (a redelivered dead letter changes nothing), and each new item raises one SNS alert.
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { ttlAttribute } from "../../contracts/tables";
import type { MessageLabel } from "./message";

export interface PurgeErrorRecord extends MessageLabel {
  /** ForgetFailureKind, or "retries-exhausted" for a message the queue gave up on. */
  kind: string;
  reason: string;
  /** The SQS message id, which keys a record when the message names no batch or object. */
  messageId?: string;
  receiveCount?: number;
}

export function errorKey(r: PurgeErrorRecord): { pk: string; sk: string } {
  const pk = `batch#${r.batchId ?? "unknown"}`;
  const sk =
    r.bucket && r.key
      ? `object#${r.round ?? 0}#s3://${r.bucket}/${r.key}`
      : `message#${r.messageId ?? "unknown"}`;
  return { pk, sk };
}

/** Writes the record unless one exists for the same object; true when this call created it. */
export async function recordPurgeError(
  doc: DynamoDBDocumentClient,
  tableName: string,
  record: PurgeErrorRecord,
  retentionDays?: number,
): Promise<boolean> {
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...errorKey(record),
          ...record,
          recordedAt: new Date().toISOString(),
          ...(retentionDays ? { [ttlAttribute]: Math.floor(Date.now() / 1000) + retentionDays * 86400 } : {}),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

export async function alertPurgeError(sns: SNSClient, topicArn: string, r: PurgeErrorRecord): Promise<void> {
  const object = r.bucket && r.key ? `s3://${r.bucket}/${r.key}` : `message ${r.messageId ?? "(no id)"}`;
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: `Lethe: an object could not be purged (${r.kind})`.slice(0, 100),
      Message: [
        `Lethe could not purge ${object}.`,
        `Batch: ${r.batchId ?? "unknown"}${r.round ? ` (round ${r.round})` : ""}; mapper: ${r.mapper ?? "unknown"}.`,
        `Reason (${r.kind}): ${r.reason}`,
        "The errors table holds the record; the erasure is not complete until the object is purged.",
      ].join("\n"),
    }),
  );
}
