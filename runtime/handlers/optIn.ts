// Opt-in Lambda (`lethe opt-in`, the console): an operator opts subjects back in to ingest, audited
// (runtime/erasure/optIn.ts). Subjects an open erasure holds are refused, changing nothing.
// Console test event: events/opt-in.json
//   {"customerIds": ["cust-0042"], "reason": "...", "by": "..."}
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { optBackIn, OptInReply } from "../erasure/optIn";
import { lazySubjectHasher } from "../subjects/subjectHash";
import { OptOutRegistry } from "../ingest/optOutRegistry";
import { auditSettingsFromEnv, invokeFilterBuilder, RebuildFilter } from "./optOutDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const optInServiceName = letheFunctions.optIn.serviceName;

export function createOptInHandler(
  env: Env = process.env,
  deps: { rebuildFilter?: RebuildFilter } = {},
): (event: unknown) => Promise<OptInReply> {
  const tools = handlerTools(optInServiceName);
  const { logger } = tools;
  const doc = makeDocumentClient();
  const hasher = lazySubjectHasher(makeKmsClient(), requiredEnv(env, envNames.subjectHashKeyArn));
  const rebuildFilter =
    deps.rebuildFilter ?? invokeFilterBuilder(requiredEnv(env, envNames.filterBuilderFunction));
  const registry = new OptOutRegistry(doc, requiredEnv(env, envNames.optOutTable));
  const requestsTable = requiredEnv(env, envNames.requestsTable);
  const audit = auditSettingsFromEnv(env, makeS3Client());
  return letheHandler(tools, async (event) => {
    const reply = await optBackIn(
      { doc, requestsTable, registry, hasher: await hasher(), rebuildFilter, audit },
      event,
    );
    logger.info(reply.message, { optInId: reply.optInId, optedIn: reply.optedIn });
    return reply;
  });
}
