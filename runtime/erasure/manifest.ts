// A batch's subject IDs on S3: one JSON object per line, `{"key": ["part", ...]}` (one part per ID
// column, composite keys in column order), written once with SSE-KMS and read back pinned to the
// version written. IDs live here and nowhere else (not in messages, items or state payloads).
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ManifestRef } from "../contracts/messages";

/** A manifest that cannot be used: absent, or not the format above. */
export class ManifestError extends Error {
  constructor(
    readonly reason: "missing" | "corrupt",
    message: string,
  ) {
    super(message);
    this.name = "ManifestError";
  }
}

export interface ManifestTarget {
  bucket: string;
  key: string;
  kmsKeyArn: string;
}

export async function writeManifest(
  s3: S3Client,
  target: ManifestTarget,
  keys: readonly (readonly string[])[],
): Promise<ManifestRef> {
  const body = keys.map((key) => JSON.stringify({ key })).join("\n") + (keys.length ? "\n" : "");
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: target.key,
      Body: body,
      ContentType: "application/x-ndjson",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: target.kmsKeyArn,
    }),
  );
  return { bucket: target.bucket, key: target.key, ...(put.VersionId ? { versionId: put.VersionId } : {}) };
}

/** One array of key parts per subject. Throws ManifestError naming the line (never its content). */
export async function readManifest(s3: S3Client, ref: ManifestRef): Promise<string[][]> {
  let text: string;
  try {
    const o = await s3.send(
      new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
    );
    text = await o.Body!.transformToString("utf8");
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === "NoSuchKey" || e.name === "NoSuchVersion" || e.$metadata?.httpStatusCode === 404) {
      throw new ManifestError("missing", `manifest s3://${ref.bucket}/${ref.key} does not exist`);
    }
    throw err;
  }
  const keys: string[][] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new ManifestError("corrupt", `manifest s3://${ref.bucket}/${ref.key}: line ${i + 1} is not JSON`);
    }
    const key = (parsed as { key?: unknown } | null)?.key;
    if (!Array.isArray(key) || key.length === 0 || !key.every((p) => typeof p === "string" && p !== "")) {
      throw new ManifestError(
        "corrupt",
        `manifest s3://${ref.bucket}/${ref.key}: line ${i + 1} has no "key" array of non-empty strings`,
      );
    }
    keys.push(key as string[]);
  }
  return keys;
}
