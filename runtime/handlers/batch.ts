// Batch Lambda: run on a schedule (EventBridge), or from the console with `{"now": true}`. Collects
// the open requests (oldest deadline first, up to LETHE_BATCH_MAX_SUBJECTS IDs) into one batch, writes
// its manifest and starts one state-machine execution for it (named after the batch). Replies with
// the batch, or says there was nothing to batch. Console test event: events/batch.json.
import { Logger } from "@aws-lambda-powertools/logger";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { makeDocumentClient, makeS3Client, makeSfnClient } from "../aws/clients";
import { Env, envNames, numberEnv, requiredEnv } from "../contracts/env";
import { UsageError } from "../contracts/errors";
import { BatchingDeps, BatchReply, collectBatch, ExecutionInput } from "../erasure/batching";
import { erasureSettingsFromEnv } from "../erasure/settings";

export const batchServiceName = "lethe-batch";

export interface BatchHandlerDeps {
  /** Default: Step Functions StartExecution on LETHE_STATE_MACHINE_ARN, named after the batch. */
  startExecution?: BatchingDeps["startExecution"];
}

/** Starts the erasure state machine for a batch; the execution's name is the batch id (one per batch). */
export function sfnStartExecution(stateMachineArn: string): BatchingDeps["startExecution"] {
  const sfn = makeSfnClient();
  return async (input: ExecutionInput) => {
    const out = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: input.batchId, input: JSON.stringify(input) }),
    );
    return { executionId: out.executionArn! };
  };
}

export function parseBatchEvent(event: unknown): void {
  if (event === undefined || event === null) return;
  if (typeof event !== "object" || Array.isArray(event))
    throw new UsageError('batch: the event must be {"now": true} or a scheduled event');
  const now = (event as { now?: unknown }).now;
  if (now !== undefined && now !== true)
    throw new UsageError(`batch: "now" must be true when given, got ${JSON.stringify(now)}`);
}

export function createBatchHandler(
  env: Env = process.env,
  deps: BatchHandlerDeps = {},
): (event?: unknown) => Promise<BatchReply> {
  const logger = new Logger({ serviceName: batchServiceName });
  const doc = makeDocumentClient();
  const s3 = makeS3Client();
  const kmsKeyArn = requiredEnv(env, envNames.kmsKeyArn);
  const batching: BatchingDeps = {
    doc,
    s3,
    requestsTable: requiredEnv(env, envNames.requestsTable),
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    lakeBucket: requiredEnv(env, envNames.lakeBucket),
    kmsKeyArn,
    maxSubjects: numberEnv(env, envNames.batchMaxSubjects, 1, 1_000_000),
    startExecution: deps.startExecution ?? sfnStartExecution(requiredEnv(env, envNames.stateMachineArn)),
    audit: {
      tableName: requiredEnv(env, envNames.auditTable),
      erasure: erasureSettingsFromEnv(env),
      overflow: { s3, bucket: requiredEnv(env, envNames.auditBucket), kmsKeyArn },
    },
  };
  return async (event) => {
    parseBatchEvent(event);
    const reply = await collectBatch(batching);
    logger.info(reply.message, {
      status: reply.status,
      ...(reply.status === "STARTED"
        ? { batchId: reply.batchId, requests: reply.requestIds.length, subjects: reply.subjects }
        : {}),
    });
    return reply;
  };
}
