// What the three store handlers share: the store's settings from the environment (checked at cold
// start), the manifest reader, the owner alert publisher, and a log line of counts per call. An event
// naming a manifest is one store call on its IDs (the console's); one without is the state machine's
// batch step (batchStoreTask.ts), which reads the batch record in the ledger table.
import { makeDocumentClient, makeS3Client, makeSnsClient } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { StoreConfig, StoreKind, validateStore, ValidateStoreOptions } from "../contracts/stores";
import { readManifest } from "../erasure/manifest";
import { BatchTables } from "../erasure/batches";
import { publishOwnerAlert } from "./ownerAlert";
import { parseStoreTaskEvent, runStoreTask, StoreTaskDeps, StoreTaskReply } from "./storeTask";
import {
  BatchStoreEvent,
  BatchStoreReply,
  isBatchStoreEvent,
  parseBatchStoreEvent,
  runBatchStoreTask,
} from "./batchStoreTask";
import { handlerTools, letheHandler } from "../aws/letheHandler";

/** The state machine's event (no manifest) gets a BatchStoreReply; a console event a StoreTaskReply. */
export interface StoreHandler {
  (event: BatchStoreEvent & { manifest?: undefined }): Promise<BatchStoreReply>;
  (event: unknown): Promise<StoreTaskReply>;
}

/** Reads `envNames.store` and checks it is a valid store of the kind the handler serves. */
export function storeFromEnv<K extends StoreKind>(
  env: Env,
  kind: K,
  options: ValidateStoreOptions = {},
): Extract<StoreConfig, { kind: K }> {
  const raw = requiredEnv(env, envNames.store);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`environment variable ${envNames.store} is not JSON`);
  }
  const store = validateStore(parsed, envNames.store, options);
  if (store.kind !== kind)
    throw new Error(`${envNames.store} names a ${store.kind} store; this function serves ${kind} stores`);
  return store as Extract<StoreConfig, { kind: K }>;
}

export function createStoreHandler(
  env: Env,
  store: StoreConfig,
  clients: Pick<StoreTaskDeps, "tableStore" | "subsystem">,
): StoreHandler {
  const tools = handlerTools(`lethe-store-${store.kind}`);
  const { logger } = tools;
  const s3 = makeS3Client();
  const sns = makeSnsClient();
  const topicArn = requiredEnv(env, envNames.alertTopicArn);
  const deps: StoreTaskDeps = {
    store,
    ...clients,
    readIds: (ref) => readManifest(s3, ref),
    sendAlert: async (alert) => {
      const messageId = await publishOwnerAlert(sns, topicArn, alert);
      logger.warn("owner alerted", { store: store.name, owner: store.owner, messageId });
    },
  };
  let batchTables: BatchTables | undefined;
  const batches = (): BatchTables =>
    (batchTables ??= {
      doc: makeDocumentClient(),
      ledgerTable: requiredEnv(env, envNames.ledgerTable),
      // Store steps never move requests: the requests table is not theirs to touch.
      requestsTable: "",
    });
  const handler = letheHandler(tools, async (event: unknown): Promise<StoreTaskReply | BatchStoreReply> => {
    if (isBatchStoreEvent(event)) {
      const parsed = parseBatchStoreEvent(event, store);
      const reply = await runBatchStoreTask({ ...deps, batches: batches() }, parsed);
      logger.info(`${store.name}: ${parsed.action} ${reply.done ? "done" : "pending"}`, {
        batchId: parsed.batchId,
        ...reply,
      });
      return reply;
    }
    const parsed = parseStoreTaskEvent(event, store);
    const reply = await runStoreTask(deps, parsed);
    // The reply holds counts only: it is safe to log whole.
    const { message, ...counts } = reply;
    logger.info(message, counts);
    return reply;
  });
  return handler as StoreHandler;
}
