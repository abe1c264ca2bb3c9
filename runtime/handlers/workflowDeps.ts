// What the workflow's task handlers build from their environment, in one place: the batch tables,
// and for find and verify the lake, the find engine, the index and where plans go.
import { makeAthenaClient, makeDocumentClient, makeGlueClient, makeS3Client } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { dataMappersFromEnv } from "../contracts/mappers";
import type { AuditSettings } from "../erasure/audit";
import type { BatchTables } from "../erasure/batches";
import { auditSettingsFromEnv } from "./optOutDeps";
import { finderForStack, finderTargetFromEnv } from "../erasure/find/forStack";
import { indexHasherFromEnv } from "../erasure/metastore/indexHasher";
import type { FindingDeps } from "../erasure/workflow/tasks/planLocation";

/** The batch tables; `audited` (a function that moves requests): with the audit every move is written to. */
export function batchTablesFromEnv(env: Env, doc = makeDocumentClient(), audited = true): BatchTables {
  return {
    doc,
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    requestsTable: requiredEnv(env, envNames.requestsTable),
    ...(audited ? { audit: auditSettingsFromEnv(env, makeS3Client()) } : {}),
  };
}

/**
 * Built at cold start; the index's hasher (a KMS call) is awaited on first use. The batch tables are
 * read from the environment on first use too: find's console event (a manifest) needs none.
 */
export function findingDepsFromEnv(environment: Env): () => Promise<FindingDeps> {
  // A Lambda's environment is fixed at cold start: read later, process.env may be another function's
  // (local runs overlay each packaged function's environment per call, several at once).
  const env = { ...environment };
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const target = finderTargetFromEnv(env);
  const finder = finderForStack(
    target,
    target.local ? { s3 } : { s3, athena: makeAthenaClient(), glue: makeGlueClient() },
  );
  const mappers = dataMappersFromEnv(env, envNames.dataMappers);
  const indexTable = requiredEnv(env, envNames.indexTable);
  const hasher = indexHasherFromEnv(env);
  // A bad key fails the first invocation (awaited there), not the process.
  hasher.catch(() => undefined);
  const planTarget = {
    bucket: requiredEnv(env, envNames.lakeBucket),
    kmsKeyArn: requiredEnv(env, envNames.kmsKeyArn),
  };
  let audit: AuditSettings | undefined;
  return async () => ({
    doc,
    // Read on first use, as the tables are (find's console event moves nothing).
    get audit() {
      return (audit ??= auditSettingsFromEnv(env, s3));
    },
    get ledgerTable() {
      return requiredEnv(env, envNames.ledgerTable);
    },
    get requestsTable() {
      return requiredEnv(env, envNames.requestsTable);
    },
    s3,
    finder,
    mappers,
    planTarget,
    index: { doc, table: indexTable, hashSubject: await hasher },
  });
}
