// A retention run's own report: what its plan said, what went (partitions dropped, objects dropped or
// rewritten, rows, versions), what was verified, and its verdict. Stored in the report bucket beside
// the requests' reports, at `reports/retention/mapper=<name>/run=<id>/report.json`, SSE-KMS, signed
// with the stack's report key exactly as a request's report is (runtime/erasure/report/reportStore.ts:
// the signature over the stored bytes travels in the object's metadata; `lethe report verify` and
// openssl check it the same way).
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ReportSigningKey, signatureMetadataKey, SignedReportBytes } from "../../contracts/reportSignature";
import { putSignedJson, ReportBucket } from "../report/reportStore";
import type { ReportSigner } from "../report/reportSigner";
import type { RetentionObjectOutcome, RetentionRun } from "./run";

export interface RetentionReport {
  kind: "retention";
  runId: string;
  batchId: string;
  mapper: string;
  /** Rows before this instant were to go. */
  cutoff: string;
  retentionDays: number;
  timeColumn?: string;
  startedAt: string;
  finishedAt: string;
  /** "complete": every planned object erased and verified; else what is left is listed. */
  verdict: "complete" | "incomplete";
  partitionsDropped: string[];
  totals: {
    objectsDropped: number;
    objectsRewritten: number;
    objectsKept: number;
    objectsFailed: number;
    rowsRemoved: number;
    versionsDeleted: number;
    versionsWritten: number;
  };
  objects: RetentionObjectOutcome[];
  signingKey?: ReportSigningKey;
}

export function retentionReportKey(mapper: string, runId: string): string {
  return `reports/retention/mapper=${mapper}/run=${runId}/report.json`;
}

export function retentionReport(run: RetentionRun, signingKey?: ReportSigningKey): RetentionReport {
  const { plan, objects } = run;
  const sum = (f: (o: RetentionObjectOutcome) => number) => objects.reduce((n, o) => n + f(o), 0);
  const done = (o: RetentionObjectOutcome) => o.outcome !== "failed";
  return {
    kind: "retention",
    runId: run.runId,
    batchId: run.batchId,
    mapper: plan.mapper,
    cutoff: plan.cutoff,
    retentionDays: plan.rule.days,
    ...(plan.rule.timeColumn ? { timeColumn: plan.rule.timeColumn } : {}),
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    verdict: objects.every((o) => done(o) && o.verified) ? "complete" : "incomplete",
    partitionsDropped: plan.partitionsDropped.filter((p) =>
      objects.filter((o) => o.partition === p && o.action === "drop").every((o) => done(o) && o.verified),
    ),
    totals: {
      objectsDropped: objects.filter((o) => o.action === "drop" && done(o)).length,
      objectsRewritten: objects.filter((o) => o.action === "purge" && done(o)).length,
      objectsKept: plan.objectsKept,
      objectsFailed: objects.filter((o) => !done(o)).length,
      rowsRemoved: sum((o) => o.rowsRemoved),
      versionsDeleted: sum((o) => o.versionsDeleted),
      versionsWritten: sum((o) => o.versionsWritten),
    },
    objects,
    ...(signingKey ? { signingKey } : {}),
  };
}

/** Writes the report (signed when a signer is given); returns its s3:// URI. */
export async function writeRetentionReport(
  s3: S3Client,
  target: ReportBucket,
  run: RetentionRun,
  signer?: ReportSigner,
): Promise<{ uri: string; report: RetentionReport }> {
  const report = retentionReport(run, signer?.key);
  const key = retentionReportKey(report.mapper, report.runId);
  await putSignedJson(s3, target, key, Buffer.from(JSON.stringify(report, null, 2), "utf8"), signer);
  return { uri: `s3://${target.bucket}/${key}`, report };
}

/** A stored retention report, its bytes and signature as written. */
export async function readRetentionReport(
  s3: S3Client,
  bucket: string,
  mapper: string,
  runId: string,
): Promise<SignedReportBytes & { report: RetentionReport }> {
  const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: retentionReportKey(mapper, runId) }));
  const bytes = Buffer.from(await o.Body!.transformToByteArray());
  const sig = o.Metadata?.[signatureMetadataKey];
  return {
    bytes,
    ...(sig ? { signature: Buffer.from(sig, "base64") } : {}),
    report: JSON.parse(bytes.toString("utf8")) as RetentionReport,
  };
}
