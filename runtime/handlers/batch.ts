// Batch Lambda: run on a schedule (EventBridge), or from the console with `{"now": true}`. Collects
// the open requests (oldest deadline first, up to LETHE_BATCH_MAX_SUBJECTS IDs) into one batch, writes
// its manifest and starts one state-machine execution for it (named after the batch). Replies with
// the batch, or says there was nothing to batch. Console test event: events/batch.json.
// `{"retry": "<batchId>"}` (`lethe retry`, events/retry.json) resumes a batch that stopped instead:
// a new execution of the same batch (runtime/erasure/retry.ts).
import { DescribeExecutionCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { makeDocumentClient, makeS3Client, makeSfnClient } from "../aws/clients";
import { Env, envNames, numberEnv, requiredEnv } from "../contracts/env";
import { UsageError } from "../contracts/errors";
import { BatchingDeps, BatchReply, collectBatch, ExecutionInput } from "../erasure/batching";
import { erasureSettingsFromEnv } from "../erasure/settings";
import { decidedBy } from "../erasure/batches";
import { parseRetryEvent, retryBatch, RetryDeps, RetryReply } from "../erasure/retry";
import { asUsageError } from "./refusals";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const batchServiceName = letheFunctions.batch.serviceName;

export interface BatchHandlerDeps {
  /** Default: Step Functions StartExecution on LETHE_STATE_MACHINE_ARN, named after the batch. */
  startExecution?: BatchingDeps["startExecution"];
  /** Default: Step Functions StartExecution and DescribeExecution on LETHE_STATE_MACHINE_ARN. */
  retry?: Pick<RetryDeps, "startExecution" | "executionRunning">;
}

/** Starts and describes the state machine's executions for `lethe retry`. */
export function sfnRetryExecutions(
  stateMachineArn: string,
): Pick<RetryDeps, "startExecution" | "executionRunning"> {
  const sfn = makeSfnClient();
  return {
    startExecution: async (input, name) => {
      const out = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionId: out.executionArn! };
    },
    executionRunning: async (executionArn) => {
      try {
        const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return out.status === "RUNNING";
      } catch (err) {
        if ((err as Error).name === "ExecutionDoesNotExist") return false;
        throw err;
      }
    },
  };
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
): (event?: unknown) => Promise<BatchReply | RetryReply> {
  const tools = handlerTools(batchServiceName);
  const { logger } = tools;
  const doc = makeDocumentClient();
  const s3 = makeS3Client();
  const kmsKeyArn = requiredEnv(env, envNames.kmsKeyArn);
  const stateMachineArn = requiredEnv(env, envNames.stateMachineArn);
  const batching: BatchingDeps = {
    doc,
    s3,
    requestsTable: requiredEnv(env, envNames.requestsTable),
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    lakeBucket: requiredEnv(env, envNames.lakeBucket),
    kmsKeyArn,
    maxSubjects: numberEnv(env, envNames.batchMaxSubjects, 1, 1_000_000),
    startExecution: deps.startExecution ?? sfnStartExecution(stateMachineArn),
    audit: {
      tableName: requiredEnv(env, envNames.auditTable),
      erasure: erasureSettingsFromEnv(env),
      overflow: { s3, bucket: requiredEnv(env, envNames.auditBucket), kmsKeyArn },
    },
  };
  const retrying: RetryDeps = { ...batching, ...(deps.retry ?? sfnRetryExecutions(stateMachineArn)) };
  return letheHandler(tools, async (event) => {
    const retry = parseRetryEvent(event);
    if (retry !== undefined) {
      const who = decidedBy((event ?? {}) as { by?: string; principal?: string });
      const reply = await asUsageError(() => retryBatch(retrying, retry, who));
      logger.info(reply.message, { batchId: reply.batchId, resumedAt: reply.resumedAt });
      return reply;
    }
    parseBatchEvent(event);
    const reply = await collectBatch(batching);
    logger.info(reply.message, {
      status: reply.status,
      ...(reply.status === "STARTED"
        ? { batchId: reply.batchId, requests: reply.requestIds.length, subjects: reply.subjects }
        : {}),
    });
    return reply;
  });
}
