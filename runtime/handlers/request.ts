// Request Lambda (`POST /requests`, `lethe erase`, the console): files an erasure request. Checks every
// ID, registers the subjects in the opt-out registry and has the filter builder publish a new filter
// before it replies, records the request (raw IDs in S3, never in the item) and replies with its id,
// deadline and status. An idempotency key (Powertools idempotency) makes a retry get the first reply
// and record nothing; the same key with other IDs is refused.
// Console test event: events/request.json.
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { makeDocumentClient, makeDynamoDbClient, makeKmsClient, makeS3Client } from "../aws/clients";
import { Env, envNames, numberEnv, requiredEnv } from "../contracts/env";
import { UsageError } from "../contracts/errors";
import { tableShapes, ttlAttribute } from "../contracts/tables";
import {
  defaultPartSubjects,
  fileErasureRequest,
  IntakeDeps,
  parseRequestEvent,
  RequestReply,
} from "../erasure/intake";
import { erasureSettingsFromEnv } from "../erasure/settings";
import { lazySubjectHasher } from "../subjects/subjectHash";
import { OptOutRegistry } from "../ingest/optOutRegistry";
import { requestBodyDigest } from "../erasure/idempotencyRecord";
import { auditSettingsFromEnv, invokeFilterBuilder } from "./optOutDeps";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const requestServiceName = letheFunctions.request.serviceName;

/** How long a reply is replayed to a retry with the same idempotency key. */
export const idempotencyWindowSeconds = 86_400;

export interface RequestHandlerDeps {
  /** Publishes a new ingest filter now; default: invoke the filter-builder function and wait for it. */
  rebuildFilter?: IntakeDeps["rebuildFilter"];
}

export function createRequestHandler(
  env: Env = process.env,
  deps: RequestHandlerDeps = {},
): (event: unknown, context?: unknown) => Promise<RequestReply> {
  const tools = handlerTools(requestServiceName);
  const { logger } = tools;
  const doc = makeDocumentClient();
  const s3 = makeS3Client();
  const erasure = erasureSettingsFromEnv(env);
  const hasher = lazySubjectHasher(makeKmsClient(), requiredEnv(env, envNames.subjectHashKeyArn));
  const kmsKeyArn = requiredEnv(env, envNames.kmsKeyArn);
  const rebuildFilter =
    deps.rebuildFilter ?? invokeFilterBuilder(requiredEnv(env, envNames.filterBuilderFunction));
  const registry = new OptOutRegistry(doc, requiredEnv(env, envNames.optOutTable));
  const requests = {
    doc,
    s3,
    tableName: requiredEnv(env, envNames.requestsTable),
    bucket: requiredEnv(env, envNames.lakeBucket),
    kmsKeyArn,
    erasure,
  };
  const audit = auditSettingsFromEnv(env, s3);
  // A request larger than one batch is split into parts of a batch each (intake.ts).
  const partSubjects = numberEnv(env, envNames.batchMaxSubjects, 1, 1_000_000, defaultPartSubjects);
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: requiredEnv(env, envNames.idempotencyTable),
    keyAttr: tableShapes.idempotency.hashKey,
    expiryAttr: ttlAttribute,
    awsSdkV3Client: makeDynamoDbClient(),
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "idempotencyKey",
    // A key reused with other IDs (or another reason) is a mistake, not a retry. Powertools stores an
    // md5 of what this selects: a keyed digest of the body, never the body's own (IDs are guessable).
    payloadValidationJmesPath: "bodyDigest",
    expiresAfterSeconds: idempotencyWindowSeconds,
  });
  const file = makeIdempotent(
    async (call: { idempotencyKey?: string; bodyDigest: string; event: unknown }) =>
      fileErasureRequest(
        { requests, hasher: await hasher(), registry, rebuildFilter, audit, partSubjects },
        call.event,
      ),
    {
      persistenceStore,
      // The same function name deployed and local: a key means the same request wherever it runs.
      keyPrefix: requestServiceName,
      config,
    },
  );

  return letheHandler(tools, async (event, context) => {
    const checked = parseRequestEvent(event);
    // Deployed, an in-progress record expires with the invocation's remaining time.
    if (typeof (context as { getRemainingTimeInMillis?: unknown })?.getRemainingTimeInMillis === "function")
      config.registerLambdaContext(context as Parameters<IdempotencyConfig["registerLambdaContext"]>[0]);
    try {
      const bodyDigest = requestBodyDigest(await hasher(), checked);
      const reply = await file({ idempotencyKey: checked.idempotencyKey, bodyDigest, event });
      logger.info(reply.message, {
        requestId: reply.requestId,
        subjects: reply.subjects,
        idempotencyKeyGiven: checked.idempotencyKey !== undefined,
      });
      return reply;
    } catch (err) {
      const name = (err as Error).name;
      if (name === "IdempotencyValidationError")
        throw new UsageError(
          `request: idempotency key ${JSON.stringify(checked.idempotencyKey)} was used for another request (other IDs or reason)`,
        );
      if (name === "IdempotencyAlreadyInProgressError")
        throw new UsageError(
          `request: a request with idempotency key ${JSON.stringify(checked.idempotencyKey)} is being filed right now; retry in a moment`,
        );
      if (!(err instanceof UsageError)) logger.error("request failed", { error: (err as Error).message });
      throw err;
    }
  });
}
