// Reports in the report bucket: one JSON document per request at reportKey(requestId), SSE-KMS with
// the stack's key. Written by the report task (rewritten whole on a retry), read by `lethe report`.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ErasureReport, reportKey, reportUri } from "../../contracts/report";

export interface ReportBucket {
  bucket: string;
  kmsKeyArn: string;
}

export async function writeReport(
  s3: S3Client,
  target: ReportBucket,
  report: ErasureReport,
): Promise<string> {
  await s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: reportKey(report.requestId),
      Body: JSON.stringify(report, null, 2),
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: target.kmsKeyArn,
      BucketKeyEnabled: true,
    }),
  );
  return reportUri(target.bucket, report.requestId);
}

/** The request's report, or undefined when there is none (yet). */
export async function readReport(
  s3: S3Client,
  bucket: string,
  requestId: string,
): Promise<ErasureReport | undefined> {
  try {
    const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey(requestId) }));
    return JSON.parse(await o.Body!.transformToString("utf8")) as ErasureReport;
  } catch (err) {
    const name = (err as Error).name;
    if (name === "NoSuchKey" || name === "NotFound") return undefined;
    throw err;
  }
}
