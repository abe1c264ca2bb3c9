// Retention Lambda: run on lethe:retentionSchedule (EventBridge), or from the console with `{}` or
// `{"mapper": "events"}`. For each data mapper that declares `retention`, erases the rows older than
// its days through the forget path and writes the run's signed report (runtime/erasure/retention/).
// The run's time is the scheduled event's `time`, so EventBridge's retry of one event repeats the same
// run (its ledger skips what is done). Replies with each run's report location and totals: object
// keys and counts, never a row's values.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { handlerTools, letheHandler } from "../aws/letheHandler";
import { makeDocumentClient, makeDynamoDbClient, makeKmsClient, makeS3Client } from "../aws/clients";
import { Env, envNames, numberEnv, requiredEnv } from "../contracts/env";
import { dataMappersFromEnv, ForgetLedger } from "../erasure/forget";
import { loadReportSigner, ReportSigner } from "../erasure/report/reportSigner";
import { RetentionReport, runRetention, writeRetentionReport } from "../erasure/retention";
import { MutexClient } from "../lock";

export const retentionServiceName = "lethe-retention";

export interface RetentionReply {
  runs: {
    mapper: string;
    report: string;
    verdict: RetentionReport["verdict"];
    totals: RetentionReport["totals"];
  }[];
}

/** The run's time: the scheduled event's, else now; `mapper` narrows it to one data mapper. */
export function retentionEvent(event: unknown): { now: Date; mapper?: string } {
  const e = (event && typeof event === "object" ? event : {}) as { time?: unknown; mapper?: unknown };
  if (e.mapper !== undefined && typeof e.mapper !== "string")
    throw new Error(`retention event: mapper must be a data mapper's name, got ${JSON.stringify(e.mapper)}`);
  const now = typeof e.time === "string" ? new Date(e.time) : new Date();
  if (Number.isNaN(now.getTime()))
    throw new Error(`retention event: time ${JSON.stringify(e.time)} is not a time`);
  return { now, ...(e.mapper ? { mapper: e.mapper } : {}) };
}

export function createRetentionHandler(env: Env = process.env): (event?: unknown) => Promise<RetentionReply> {
  const tools = handlerTools(retentionServiceName);
  const { logger, metrics } = tools;
  const mappers = dataMappersFromEnv(env).filter((m) => m.retention);
  const s3 = makeS3Client();
  const ddb = makeDynamoDbClient();
  const kms = makeKmsClient();
  const mutex = new MutexClient({
    dynamoDbClient: ddb,
    tableName: requiredEnv(env, envNames.locksTable),
    autoRenew: true,
    maxTimeout: 60,
  });
  const ledger = new ForgetLedger(
    makeDocumentClient(undefined, ddb),
    requiredEnv(env, envNames.ledgerTable),
    numberEnv(env, envNames.ledgerRetentionDays, 1, 3650, 365),
  );
  const reports = {
    bucket: requiredEnv(env, envNames.reportBucket),
    kmsKeyArn: requiredEnv(env, envNames.kmsKeyArn),
  };
  const signingKeyArn = requiredEnv(env, envNames.reportSigningKeyArn);
  let signer: Promise<ReportSigner> | undefined;
  return letheHandler(tools, async (event?: unknown) => {
    const { now, mapper } = retentionEvent(event);
    const chosen = mapper ? mappers.filter((m) => m.name === mapper) : mappers;
    if (mapper && chosen.length === 0)
      throw new Error(`retention: no data mapper "${mapper}" declares retention`);
    signer ??= loadReportSigner(kms, signingKeyArn).catch((err) => {
      signer = undefined;
      throw err;
    });
    const reply: RetentionReply = { runs: [] };
    for (const m of chosen) {
      const run = await runRetention({ s3, mutex, ledger }, m, now);
      const { uri, report } = await writeRetentionReport(s3, reports, run, await signer);
      reply.runs.push({ mapper: m.name, report: uri, verdict: report.verdict, totals: report.totals });
      metrics.addMetric("RetentionRowsRemoved", MetricUnit.Count, report.totals.rowsRemoved);
      metrics.addMetric("RetentionObjectsFailed", MetricUnit.Count, report.totals.objectsFailed);
      logger.info("retention run", {
        mapper: m.name,
        runId: run.runId,
        verdict: report.verdict,
        totals: report.totals,
      });
    }
    return reply;
  });
}
