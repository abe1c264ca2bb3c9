// pollLedger task: `{"batchId": "...", "deadline": "<ISO>", "round": 0}` -> `{done, pastDeadline, failed,
// objectsExpected, objectsSettled, objectsFailed, reason?}` from the batch's ledger counters.
import { Logger } from "@aws-lambda-powertools/logger";
import { Env } from "../contracts/env";
import { parsePollLedgerInput, pollLedger } from "../erasure/workflow/tasks/pollLedger";
import { batchTablesFromEnv } from "./workflowDeps";

export const pollLedgerServiceName = "lethe-poll-ledger";

export function createPollLedgerHandler(env: Env = process.env) {
  const logger = new Logger({ serviceName: pollLedgerServiceName });
  const deps = batchTablesFromEnv(env, undefined, false);
  return async (event: unknown) => {
    const reply = await pollLedger(deps, parsePollLedgerInput(event));
    logger.info(
      `batch ${reply.batchId} round ${reply.round}: ${reply.objectsSettled} of ${reply.objectsExpected} object(s) settled`,
      { done: reply.done, failed: reply.objectsFailed, pastDeadline: reply.pastDeadline },
    );
    return reply;
  };
}
