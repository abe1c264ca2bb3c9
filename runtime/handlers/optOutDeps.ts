// What the functions that change the opt-out registry build from their environment, in one place:
// the filter rebuild (the filter-builder function, invoked and awaited), the audit, and the release
// of a cancelled or rejected request's opt-outs (request, cancel, approval, opt-in).
import { InvokeCommand } from "@aws-sdk/client-lambda";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { makeKmsClient, makeLambdaClient } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import type { AuditSettings } from "../erasure/audit";
import type { BatchTables } from "../erasure/batches";
import { releaseOptOuts, ReleaseReply } from "../erasure/release";
import type { RawIdSettings } from "../erasure/request";
import { erasureSettingsFromEnv } from "../erasure/settings";
import { lazySubjectHasher } from "../subjects/subjectHash";
import { OptOutRegistry } from "../ingest/optOutRegistry";

export type RebuildFilter = () => Promise<{ status: string; generation?: number }>;

/** Invokes the filter builder synchronously (RequestResponse): the filter is published when it returns. */
export function invokeFilterBuilder(functionName: string): RebuildFilter {
  const lambda = makeLambdaClient();
  return async () => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from("{}") }),
    );
    const text = out.Payload ? Buffer.from(out.Payload).toString("utf8") : "null";
    const reply = JSON.parse(text) as { status?: string; generation?: number; errorMessage?: string };
    if (out.FunctionError)
      throw new Error(`the filter builder ${functionName} failed: ${reply?.errorMessage ?? text}`);
    return { status: String(reply?.status ?? "unknown"), generation: reply?.generation };
  };
}

/** The audit table and the bucket its large details go to. */
export function auditSettingsFromEnv(env: Env, s3: S3Client): AuditSettings {
  return {
    tableName: requiredEnv(env, envNames.auditTable),
    erasure: erasureSettingsFromEnv(env),
    overflow: {
      s3,
      bucket: requiredEnv(env, envNames.auditBucket),
      kmsKeyArn: requiredEnv(env, envNames.kmsKeyArn),
    },
  };
}

/** Releases ended requests' opt-outs (release.ts), as cancel and reject do. */
export function releaseFromEnv(
  env: Env,
  tables: BatchTables,
  s3: S3Client,
  rebuildFilter: RebuildFilter = invokeFilterBuilder(requiredEnv(env, envNames.filterBuilderFunction)),
): (requestIds: string[], why: string) => Promise<ReleaseReply> {
  const registry = new OptOutRegistry(
    tables.doc as DynamoDBDocumentClient,
    requiredEnv(env, envNames.optOutTable),
  );
  const hasher = lazySubjectHasher(makeKmsClient(), requiredEnv(env, envNames.subjectHashKeyArn));
  return async (requestIds, why) =>
    releaseOptOuts({ ...tables, s3, registry, hasher: await hasher(), rebuildFilter }, requestIds, why);
}

/** Where an ended request's raw IDs (and its idempotency record) are dropped from. */
export function rawIdSettingsFromEnv(
  env: Env,
  tables: Pick<BatchTables, "doc" | "requestsTable">,
  s3: S3Client,
): RawIdSettings {
  return {
    doc: tables.doc,
    s3,
    tableName: tables.requestsTable,
    erasure: erasureSettingsFromEnv(env),
    idempotencyTable: requiredEnv(env, envNames.idempotencyTable),
  };
}
