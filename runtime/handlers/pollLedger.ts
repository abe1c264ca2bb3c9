// pollLedger task: `{"batchId": "...", "deadline": "<ISO>", "round": 0}` -> `{done, pastDeadline, failed,
// objectsExpected, objectsSettled, objectsFailed, reason?}` from the batch's ledger counters.
import { Env } from "../contracts/env";
import { parsePollLedgerInput, pollLedger } from "../erasure/workflow/tasks/pollLedger";
import { batchTablesFromEnv } from "./workflowDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const pollLedgerServiceName = letheFunctions.pollLedger.serviceName;

export function createPollLedgerHandler(env: Env = process.env) {
  const tools = handlerTools(pollLedgerServiceName);
  const { logger } = tools;
  const deps = batchTablesFromEnv(env, undefined, false);
  return letheHandler(tools, async (event: unknown) => {
    const reply = await pollLedger(deps, parsePollLedgerInput(event));
    logger.info(
      `batch ${reply.batchId} round ${reply.round}: ${reply.objectsSettled} of ${reply.objectsExpected} object(s) settled`,
      { done: reply.done, failed: reply.objectsFailed, pastDeadline: reply.pastDeadline },
    );
    return reply;
  });
}
