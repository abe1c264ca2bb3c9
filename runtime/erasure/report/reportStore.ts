// Reports in the report bucket: one JSON document per request at reportKey(requestId), SSE-KMS with
// the stack's key, its signature (runtime/contracts/reportSignature.ts) in the object's metadata, so
// bytes and signature are written in one PUT. Written by the report task (rewritten whole on a
// retry), read by `lethe report`.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ErasureReport, reportKey, reportUri } from "../../contracts/report";
import {
  reportSigningAlgorithm,
  signatureAlgorithmMetadataKey,
  signatureMetadataKey,
  SignedReportBytes,
} from "../../contracts/reportSignature";
import type { ReportSigner } from "./reportSigner";

export interface ReportBucket {
  bucket: string;
  kmsKeyArn: string;
}

/** The bytes a report is stored (and signed) as. */
export function reportBytes(report: ErasureReport): Buffer {
  return Buffer.from(JSON.stringify(report, null, 2), "utf8");
}

export async function writeReport(
  s3: S3Client,
  target: ReportBucket,
  report: ErasureReport,
  signer?: ReportSigner,
): Promise<string> {
  await putSignedJson(s3, target, reportKey(report.requestId), reportBytes(report), signer);
  return reportUri(target.bucket, report.requestId);
}

/**
 * Writes `body` (a report's JSON) under `key`, SSE-KMS, its signature (when a signer is given) in the
 * object's metadata in the same PUT, never in the signed bytes: request and retention reports alike.
 */
export async function putSignedJson(
  s3: S3Client,
  target: ReportBucket,
  key: string,
  body: Buffer,
  signer?: ReportSigner,
): Promise<void> {
  const signature = signer ? await signer.sign(body) : undefined;
  await s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: key,
      Body: body,
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: target.kmsKeyArn,
      BucketKeyEnabled: true,
      ...(signature
        ? {
            Metadata: {
              [signatureMetadataKey]: signature.toString("base64"),
              [signatureAlgorithmMetadataKey]: reportSigningAlgorithm,
            },
          }
        : {}),
    }),
  );
}

/** The request's report as stored (bytes and signature), or undefined when there is none (yet). */
export async function readSignedReport(
  s3: S3Client,
  bucket: string,
  requestId: string,
): Promise<(SignedReportBytes & { report: ErasureReport }) | undefined> {
  try {
    const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey(requestId) }));
    const bytes = Buffer.from(await o.Body!.transformToByteArray());
    const sig = o.Metadata?.[signatureMetadataKey];
    return {
      bytes,
      ...(sig ? { signature: Buffer.from(sig, "base64") } : {}),
      report: JSON.parse(bytes.toString("utf8")) as ErasureReport,
    };
  } catch (err) {
    const name = (err as Error).name;
    if (name === "NoSuchKey" || name === "NotFound") return undefined;
    throw err;
  }
}

/** The request's report, or undefined when there is none (yet). */
export async function readReport(
  s3: S3Client,
  bucket: string,
  requestId: string,
): Promise<ErasureReport | undefined> {
  return (await readSignedReport(s3, bucket, requestId))?.report;
}
