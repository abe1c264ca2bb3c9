// Report task (the state machine's Report state; it gets the whole state, `{batchId, deadline, round,
// plan, verify, approval, ...}`): writes each request's report to the report bucket, drops the raw IDs
// everywhere, and ends a verified batch COMPLETED. Replies with each request's report location and
// counts, never an ID. Run by the AttentionReport state (after NeedsAttention, whose reply is at
// `$.attention`) it writes each request a signed NOT_COMPLETED report of a batch that stopped instead,
// dropping and moving nothing (runtime/erasure/workflow/tasks/report.ts).
// Console test event (events/report.json): {"batchId": "<a batch verify left VERIFYING with 0 hits>", "round": 0}
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { isLocalEndpoint, makeDocumentClient, makeKmsClient, makeS3Client } from "../aws/clients";
import { Env, envNames, requiredEnv } from "../contracts/env";
import { erasureSettingsFromEnv } from "../erasure/settings";
import { lazySubjectHasher } from "../subjects/subjectHash";
import { reportBatch, ReportTaskReply } from "../erasure/workflow/tasks/report";
import { loadReportSigner, ReportSigner } from "../erasure/report/reportSigner";
import type { ReportOrigin } from "../contracts/report";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { letheFunctions } from "../contracts/functions";

export const reportServiceName = letheFunctions.report.serviceName;

export function createReportHandler(env: Env = process.env): (event: unknown) => Promise<ReportTaskReply> {
  const tools = handlerTools(reportServiceName);
  const { logger, metrics } = tools;
  const s3 = makeS3Client();
  const doc = makeDocumentClient();
  const kmsKeyArn = requiredEnv(env, envNames.kmsKeyArn);
  const erasure = erasureSettingsFromEnv(env);
  const kms = makeKmsClient();
  const signingKeyArn = requiredEnv(env, envNames.reportSigningKeyArn);
  // The public key is read once per cold start; each report is then one kms:Sign.
  let signer: Promise<ReportSigner> | undefined;
  const origin: ReportOrigin = {
    ...(env[envNames.stackName] ? { stack: env[envNames.stackName] } : {}),
    // The signing key's ARN names the account and region the stack runs in.
    account: signingKeyArn.split(":")[4],
    region: signingKeyArn.split(":")[3],
    ...(env[envNames.programVersion] ? { programVersion: env[envNames.programVersion] } : {}),
    emulator: isLocalEndpoint(env.AWS_ENDPOINT_URL_KMS || env.AWS_ENDPOINT_URL),
  };
  const deps = {
    doc,
    s3,
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    requestsTable: requiredEnv(env, envNames.requestsTable),
    audit: {
      tableName: requiredEnv(env, envNames.auditTable),
      erasure,
      overflow: { s3, bucket: requiredEnv(env, envNames.auditBucket), kmsKeyArn },
    },
    reportBucket: { bucket: requiredEnv(env, envNames.reportBucket), kmsKeyArn },
    erasure,
    hasher: lazySubjectHasher(kms, requiredEnv(env, envNames.subjectHashKeyArn)),
    idempotencyTable: requiredEnv(env, envNames.idempotencyTable),
    origin,
  };
  return letheHandler(tools, async (event) => {
    signer ??= loadReportSigner(kms, signingKeyArn).catch((err) => {
      signer = undefined;
      throw err;
    });
    const reply = await reportBatch({ ...deps, signer: await signer }, event);
    metrics.addMetric("ReportsWritten", MetricUnit.Count, reply.counts.requests);
    metrics.addMetric("RawIdVersionsDeleted", MetricUnit.Count, reply.counts.rawIdVersionsDeleted);
    metrics.publishStoredMetrics();
    logger.info(reply.message, { batchId: reply.batchId, state: reply.state, counts: reply.counts });
    return reply;
  });
}
