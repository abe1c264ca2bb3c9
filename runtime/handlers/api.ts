// The API function: one Lambda behind every route of the HTTP API (API Gateway REST, proxy
// integration). Each route calls the console function the console uses (request, status, cancel,
// approval) with Lambda Invoke; the listing, the OpenAPI document and the approval-link pages it
// answers itself. Replies and logs name no customer ID (the console functions' replies hold none).
import {
  AwsClientSettings,
  makeDocumentClient,
  makeKmsClient,
  makeLambdaClient,
  makeS3Client,
  makeSqsClient,
} from "../aws/clients";
import { listBatches } from "../erasure/batchList";
import { operationsSummary } from "../erasure/operationsSummary";
import { readSignedReport } from "../erasure/report/reportStore";
import { checkReportSignature, stackPublicKey } from "../erasure/report/signatureCheck";
import { ConsoleSignIn } from "../api/console/consolePage";
import { Env, envNames, requiredEnv, stringMapEnv } from "../contracts/env";
import { getBatch } from "../erasure/batches";
import { listRequests } from "../erasure/requestPages";
import { kmsLinkSigner } from "../api/approvalLinks";
import { lambdaCaller } from "../api/lambdaCaller";
import { openApiDocument } from "../api/openapi";
import { ApiDeps, ApiEvent, ApiResult, createApiRouter } from "../api/router";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const apiServiceName = letheFunctions.api.serviceName;

/** The router's dependencies from the function's environment (the local server builds its own `call`). */
export function apiDepsFromEnv(env: Env, call?: ApiDeps["call"], clients?: AwsClientSettings): ApiDeps {
  const doc = makeDocumentClient(clients);
  const tables = {
    doc,
    requestsTable: requiredEnv(env, envNames.requestsTable),
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
  };
  const linkKey = env[envNames.approvalLinkKeyArn];
  const serverUrl = env[envNames.apiBaseUrl];
  const document = openApiDocument(serverUrl ? { serverUrl } : {});
  const s3 = makeS3Client(clients);
  const reportBucket = requiredEnv(env, envNames.reportBucket);
  const signingKey = stackPublicKey(makeKmsClient(clients), requiredEnv(env, envNames.reportSigningKeyArn));
  const signIn = env[envNames.consoleSignIn];
  const sqs = makeSqsClient(clients);
  const deadLetterQueues = stringMapEnv(env, envNames.deadLetterQueues);
  return {
    call:
      call ??
      lambdaCaller(makeLambdaClient(clients), {
        request: requiredEnv(env, envNames.requestFunction),
        status: requiredEnv(env, envNames.statusFunction),
        cancel: requiredEnv(env, envNames.cancelFunction),
        approval: requiredEnv(env, envNames.approvalFunction),
        "opt-in": requiredEnv(env, envNames.optInFunction),
        batch: requiredEnv(env, envNames.batchFunction),
      }),
    listRequests: (query) => listRequests(tables, query),
    getBatch: (batchId) => getBatch(tables, batchId),
    ...(linkKey ? { linkSigner: kmsLinkSigner(makeKmsClient(clients), linkKey) } : {}),
    openapi: () => document,
    listBatches: (state) => listBatches(tables, state),
    operations: () =>
      operationsSummary({
        ...tables,
        errorsTable: requiredEnv(env, envNames.errorsTable),
        sqs,
        deadLetterQueues,
      }),
    readReport: async (requestId) => {
      const stored = await readSignedReport(s3, reportBucket, requestId);
      return stored && { stored, check: checkReportSignature(stored, await signingKey()) };
    },
    ...(signIn ? { consoleSignIn: JSON.parse(signIn) as ConsoleSignIn } : {}),
  };
}

export function createApiHandler(env: Env = process.env): (event: ApiEvent) => Promise<ApiResult> {
  const tools = handlerTools(apiServiceName);
  const { logger } = tools;
  return letheHandler(
    tools,
    createApiRouter({
      ...apiDepsFromEnv(env),
      log: ({ level, ...entry }) =>
        level === "error" ? logger.error("api", entry) : logger.info("api", entry),
    }),
  );
}
