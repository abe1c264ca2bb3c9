// Approval Lambda (`lethe approve|reject`, the console): takes the first decision on a batch waiting
// for approval, records it on the batch (a rejection ends it and its requests REJECTED with the
// reason) and resumes the execution: Step Functions SendTaskSuccess deployed; locally the runner's
// waiter polls the batch record for the decision, so a local task token needs no call.
// Console test event: events/approval.json
//   {"batchId": "...", "decision": "approve" | "reject", "reason": "...", "by": "..."}
import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import { makeDocumentClient, makeS3Client, makeSfnClient } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { ApprovalDecisionDeps, ApprovalDecisionReply, decideApproval } from "../erasure/approval";
import { auditSettingsFromEnv, RebuildFilter, releaseFromEnv } from "./optOutDeps";
import { asUsageError } from "./refusals";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const approvalServiceName = letheFunctions.approval.serviceName;

/** The local runner's task tokens (local/erasure/workflow.ts): `local-<executionId>`. */
export const localTaskTokenPrefix = "local-";

export function sfnResume(): ApprovalDecisionDeps["resume"] {
  const sfn = makeSfnClient();
  return async (taskToken, output) => {
    if (taskToken.startsWith(localTaskTokenPrefix)) return;
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  };
}

export interface ApprovalHandlerDeps {
  resume?: ApprovalDecisionDeps["resume"];
  rebuildFilter?: RebuildFilter;
}

export function createApprovalHandler(
  env: Env = process.env,
  deps: ApprovalHandlerDeps = {},
): (event: unknown) => Promise<ApprovalDecisionReply> {
  const tools = handlerTools(approvalServiceName);
  const { logger } = tools;
  const s3 = makeS3Client();
  const tables = {
    doc: makeDocumentClient(),
    requestsTable: requiredEnv(env, envNames.requestsTable),
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    audit: auditSettingsFromEnv(env, s3),
  };
  const decision: ApprovalDecisionDeps = {
    ...tables,
    resume: deps.resume ?? sfnResume(),
    // A rejection opts the subjects back in; the report task drops the raw IDs after.
    release: releaseFromEnv(env, tables, s3, deps.rebuildFilter),
  };
  return letheHandler(tools, async (event) => {
    const reply = await asUsageError(() => decideApproval(decision, event));
    logger.info(reply.message, { batchId: reply.batchId, decision: reply.decision });
    return reply;
  });
}
