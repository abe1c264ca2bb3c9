// requestApproval task (`lethe:approvalRequired`): the state machine invokes it with
// `{"batchId": "...", "plan": {<counts>}, "taskToken": "..."}` and waits on the token; the batch records
// the token and moves to AWAITING_APPROVAL, and the approvers get the plan's counts and how to decide.
import { makeKmsClient, makeSnsClient } from "../aws/clients";
import { approvalLinkSettingsFromEnv, approvalLinksFor } from "../api/approvalLinks";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { parseRequestApprovalInput, requestBatchApproval } from "../erasure/workflow/tasks/requestApproval";
import { batchTablesFromEnv } from "./workflowDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const requestApprovalServiceName = letheFunctions.requestApproval.serviceName;

export function createRequestApprovalHandler(env: Env = process.env) {
  const tools = handlerTools(requestApprovalServiceName);
  const { logger } = tools;
  const deps = {
    ...batchTablesFromEnv(env),
    sns: makeSnsClient(),
    alertTopicArn: requiredEnv(env, envNames.alertTopicArn),
    ...linksFromEnv(env),
  };
  return letheHandler(tools, async (event: unknown) => {
    const reply = await requestBatchApproval(deps, parseRequestApprovalInput(event));
    logger.info(reply.message, { batchId: reply.batchId });
    return reply;
  });
}

/** Signed approve/reject links in the notification when the stack has the HTTP API. */
function linksFromEnv(env: Env) {
  const settings = approvalLinkSettingsFromEnv(env, makeKmsClient());
  return settings
    ? { links: (batchId: string, taskToken: string) => approvalLinksFor(settings, batchId, taskToken) }
    : {};
}
