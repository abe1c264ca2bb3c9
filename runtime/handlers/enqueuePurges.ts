// enqueuePurges task: `{"batchId": "...", "round": 0, "plan": {"location": {"bucket": "...", "key": "..."}, ...}}`
// -> one purge message per planned object on the purge queue; replies with the count (and `done`
// for an empty plan). The batch moves to FORGETTING.
import { makeS3Client, makeSqsClient } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { enqueuePurges, parseEnqueueInput } from "../erasure/workflow/tasks/enqueuePurges";
import { batchTablesFromEnv } from "./workflowDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const enqueuePurgesServiceName = letheFunctions.enqueuePurges.serviceName;

export function createEnqueuePurgesHandler(env: Env = process.env) {
  const tools = handlerTools(enqueuePurgesServiceName);
  const { logger } = tools;
  const deps = {
    ...batchTablesFromEnv(env),
    s3: makeS3Client(),
    sqs: makeSqsClient(),
    purgeQueueUrl: requiredEnv(env, envNames.purgeQueueUrl),
  };
  return letheHandler(tools, async (event: unknown) => {
    const reply = await enqueuePurges(deps, parseEnqueueInput(event));
    logger.info(reply.message, { batchId: reply.batchId, round: reply.round, enqueued: reply.enqueued });
    return reply;
  });
}
