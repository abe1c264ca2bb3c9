// Errors Lambda: consumes the purge dead-letter queue. Each message is an object Lethe could not
// purge, either refused at once by the purge function (the reason in its attributes) or given up on by
// SQS after purgeQueueMaxReceiveCount deliveries. It files the object in the errors table (object,
// batch, reason; never an ID), records the failure on the batch's ledger, and raises one SNS alert
// per object (a redelivered dead letter finds the record and alerts no one again).
// Console test event: an SQS event of dead letters, or a bare purge message to file by hand.
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { makeDocumentClient, makeSnsClient } from "../aws/clients";
import { Env } from "../contracts/env";
// Module by module, not the forget barrel: this function must not carry the purge engine.
import type { ForgetFailureKind } from "../erasure/forget/errors";
import { ForgetLedger } from "../erasure/forget/ledger";
import { PurgeErrorRecord, alertPurgeError, recordPurgeError } from "../erasure/forget/errorRecords";
import { errorsSettingsFromEnv } from "../erasure/forget/settings";
import { failureKindAttribute, failureReasonAttribute } from "../erasure/forget/requeue";
import { labelOf } from "../erasure/forget/message";
import { isSqsEvent, PurgeQueueRecord } from "../contracts/messages";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const errorsServiceName = letheFunctions.purgeErrors.serviceName;

export interface ErrorsReply {
  filed: { object: string; kind: string; alerted: boolean }[];
}

export function createErrorsHandler(
  env: Env = process.env,
): (event: unknown) => Promise<ErrorsReply | { batchItemFailures: { itemIdentifier: string }[] }> {
  const settings = errorsSettingsFromEnv(env);
  const tools = handlerTools(errorsServiceName);
  const { logger } = tools;
  const doc = makeDocumentClient();
  const sns = makeSnsClient();
  const ledger = new ForgetLedger(doc, settings.ledgerTable, settings.ledgerRetentionDays);
  const processor = new BatchProcessor(EventType.SQS);

  const file = async (record: PurgeErrorRecord) => {
    if (record.batchId && record.bucket && record.key) {
      const ref = {
        batchId: record.batchId,
        round: record.round ?? 0,
        bucket: record.bucket,
        key: record.key,
        mapper: record.mapper,
      };
      await ledger.recordFailure(ref, record.kind as ForgetFailureKind, record.reason, await ledger.get(ref));
    }
    const created = await recordPurgeError(doc, settings.errorsTable, record, settings.errorRetentionDays);
    if (created) await alertPurgeError(sns, settings.alertTopicArn, record);
    const object =
      record.bucket && record.key ? `s3://${record.bucket}/${record.key}` : `message ${record.messageId}`;
    logger.warn(`${object}: filed in the errors table (${record.kind})`, {
      batchId: record.batchId,
      kind: record.kind,
      alerted: created,
    });
    return { object, kind: record.kind, alerted: created };
  };

  const fromDeadLetter = (r: PurgeQueueRecord): PurgeErrorRecord => {
    const attrs = r.messageAttributes ?? {};
    const receives = Number(r.attributes?.ApproximateReceiveCount ?? 0);
    return {
      ...labelOf(r.body),
      messageId: r.messageId,
      kind: attrs[failureKindAttribute]?.stringValue ?? "retries-exhausted",
      reason:
        attrs[failureReasonAttribute]?.stringValue ??
        "the purge queue gave up on the message after its maximum deliveries; see the purge function's logs",
      ...(receives ? { receiveCount: receives } : {}),
    };
  };

  return letheHandler(tools, async (event) => {
    if (isSqsEvent(event)) {
      return processPartialResponse(
        event as never,
        async (r: PurgeQueueRecord) => file(fromDeadLetter(r)),
        processor,
        { throwOnFullBatchFailure: false },
      );
    }
    return {
      filed: [await file({ ...labelOf(event), kind: "filed-by-hand", reason: "filed from the console" })],
    };
  });
}
