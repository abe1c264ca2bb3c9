// Indexer Lambda: fed by S3 notifications on each data mapper's prefix (ObjectCreated, ObjectRemoved).
// Console test event: {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "<lake>"},
// "object": {"key": "events/dt=2024-03-01/part-0.parquet"}}}]}
import { makeDocumentClient, makeS3Client } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { dataMappersFromEnv } from "../contracts/mappers";
import { indexHasherFromEnv } from "../erasure/metastore/indexHasher";
import { handleObjectEvent, IndexOutcome, objectEvents } from "../erasure/metastore/indexer";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export interface IndexerReply {
  outcomes: IndexOutcome[];
  message: string;
}

export const indexerServiceName = letheFunctions.indexer.serviceName;

export function createIndexerHandler(env: Env = process.env): (event: unknown) => Promise<IndexerReply> {
  const tools = handlerTools(indexerServiceName);
  const { logger } = tools;
  const deps = {
    s3: makeS3Client(),
    doc: makeDocumentClient(),
    indexTable: requiredEnv(env, envNames.indexTable),
    mappers: dataMappersFromEnv(env, envNames.dataMappers),
  };
  const hasher = indexHasherFromEnv(env);
  return letheHandler(tools, async (event) => {
    const outcomes: IndexOutcome[] = [];
    const withHasher = { ...deps, hashSubject: await hasher };
    for (const e of objectEvents(event)) outcomes.push(await handleObjectEvent(withHasher, e));
    const count = (a: IndexOutcome["action"]) => outcomes.filter((o) => o.action === a).length;
    const message = `${count("indexed")} version(s) indexed, ${count("removed")} removed, ${count("ignored")} ignored`;
    logger.info(message, { outcomes });
    return { outcomes, message };
  });
}
