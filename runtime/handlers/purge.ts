// Purge Lambda: consumes the purge queue (Powertools batch processing, ReportBatchItemFailures: one bad
// object never fails its neighbours) and purges one lake object per message (runtime/erasure/forget).
// A message no retry can cure goes straight to the dead-letter queue (the errors function files it);
// one that met a busy lock or a conflicting writer is sent again with a backoff (requeue.ts explains
// why not a visibility change). Console test event: the message itself (events/purge.json); the reply
// is a readable report of the object.
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  makeDocumentClient,
  makeDynamoDbClient,
  makeKmsClient,
  makeS3Client,
  makeSqsClient,
} from "../aws/clients";
import { lazySubjectHasher } from "../subjects/subjectHash";
import { isSqsEvent, PurgeQueueRecord } from "../contracts/messages";
import { Env, envNames } from "../contracts/env";
import {
  ForgetHooks,
  ForgetLedger,
  ForgetOutcome,
  ForgetServiceDeps,
  ObjectReport,
  forgetObject,
  objectReport,
  purgeSettingsFromEnv,
  requeueWithBackoff,
  requeuesOf,
  sendToDeadLetterQueue,
} from "../erasure/forget";
import { MutexClient } from "../lock";
import type { PurgeOptions } from "../formats/lakeFormat";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const purgeServiceName = letheFunctions.purge.serviceName;

/** The parts of a Lambda SQS record the handler reads. */

export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

export interface PurgeHandlerOptions {
  purgeOptions?: PurgeOptions;
  /** Test seams (crash and race injection) passed to the purge. */
  hooks?: ForgetHooks;
  /** Lock client settings for tests (short leases); the table name always comes from the environment. */
  lockLeaseSeconds?: number;
}

export type PurgeReply = { batchItemFailures: { itemIdentifier: string }[] } | ObjectReport;

export function createPurgeHandler(
  env: Env = process.env,
  options: PurgeHandlerOptions = {},
): (event: unknown, context?: LambdaContextLike) => Promise<PurgeReply> {
  const settings = purgeSettingsFromEnv(env);
  const tools = handlerTools(purgeServiceName);
  const { logger, metrics } = tools;
  const s3 = makeS3Client();
  const sqs = makeSqsClient();
  const ddb = makeDynamoDbClient();
  const doc = makeDocumentClient(undefined, ddb);
  const mutex = new MutexClient({
    dynamoDbClient: ddb,
    tableName: settings.locksTable,
    autoRenew: true,
    maxTimeout: settings.lockWaitSeconds,
    ...(options.lockLeaseSeconds ? { defaultLeaseDuration: options.lockLeaseSeconds } : {}),
  });
  const ledger = new ForgetLedger(doc, settings.ledgerTable, settings.ledgerRetentionDays);
  const processor = new BatchProcessor(EventType.SQS);
  // Derived on first use: only a `mask` mapper's purge asks for it (and only then is it granted).
  const hashKeyArn = env[envNames.subjectHashKeyArn];
  const subjectHasher = hashKeyArn ? lazySubjectHasher(makeKmsClient(), hashKeyArn) : undefined;

  const depsFor = (context?: LambdaContextLike): ForgetServiceDeps => ({
    s3,
    mutex,
    mappers: settings.mappers,
    ledger,
    index: { doc, tableName: settings.indexTable },
    remainingTimeMs: context ? () => context.getRemainingTimeInMillis() : undefined,
    workReserveMs: settings.workReserveSeconds * 1000,
    maxObjectBytes: settings.maxObjectBytes,
    purgeOptions: options.purgeOptions,
    hooks: options.hooks,
    subjectHasher,
  });

  const record = (out: ForgetOutcome, report: ObjectReport) => {
    // Objects and batches only: the manifest's IDs never reach a log line or a metric.
    logger.info(report.message, { outcome: out.outcome, batchId: report.batchId, reason: report.reason });
    metrics.addMetric(`Objects_${out.outcome}`, MetricUnit.Count, 1);
    if (out.outcome === "purged") metrics.addMetric("RowsRemoved", MetricUnit.Count, out.report.rowsRemoved);
  };

  const handleRecord = async (r: PurgeQueueRecord, context?: LambdaContextLike): Promise<ObjectReport> => {
    try {
      return await purgeRecord(r, context);
    } catch (err) {
      // The batch processor reports the record failed (SQS redelivers it) and says nothing of why.
      const e = err as Error;
      logger.error("purge message failed; SQS delivers it again", {
        messageId: r.messageId,
        error: { name: e?.name, message: e?.message },
      });
      throw err;
    }
  };

  const purgeRecord = async (r: PurgeQueueRecord, context?: LambdaContextLike): Promise<ObjectReport> => {
    const out = await forgetObject(r.body, depsFor(context));
    const report = objectReport(out);
    record(out, report);
    if (out.outcome === "failed") {
      await sendToDeadLetterQueue(
        sqs,
        settings.deadLetterQueueUrl,
        r.body,
        out.error.kind,
        out.error.message,
      );
    } else if (out.outcome === "retry") {
      const requeues = requeuesOf(r.messageAttributes);
      if (requeues >= settings.maxRequeues) {
        await sendToDeadLetterQueue(
          sqs,
          settings.deadLetterQueueUrl,
          r.body,
          out.error.kind,
          `gave up after ${requeues} requeues: ${out.error.message}`,
        );
      } else {
        const delay = await requeueWithBackoff(sqs, settings.purgeQueueUrl, r.body, requeues);
        logger.info(`requeued with a ${delay} s delay`, { batchId: report.batchId, requeues: requeues + 1 });
      }
    }
    return report;
  };

  return letheHandler(tools, async (event, context) => {
    try {
      if (isSqsEvent(event)) {
        return await processPartialResponse(
          event as never,
          (r: PurgeQueueRecord) => handleRecord(r, context),
          processor,
          { context: context as never, processInParallel: false, throwOnFullBatchFailure: false },
        );
      }
      const out = await forgetObject(event, depsFor(context));
      const report = objectReport(out);
      record(out, report);
      return report;
    } finally {
      metrics.publishStoredMetrics();
    }
  });
}

export { isSqsEvent };
export type { PurgeQueueRecord };
