// Reads a batch's subject IDs from its S3 manifest for the store functions. The manifest's writer
// and reader proper belong to the find step (runtime/erasure/manifest.ts, `readManifest`); this reads
// the same format (JSON Lines, `{"key": [part, ...]}` per subject) and is the one import the store
// handlers use, so pointing it at that module is a one-line change.
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ManifestRef } from "../contracts/messages";

export async function readManifest(s3: S3Client, ref: ManifestRef): Promise<string[][]> {
  const out = await s3.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
  );
  const text = (await out.Body?.transformToString("utf8")) ?? "";
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      const parts = (JSON.parse(line) as { key?: unknown }).key;
      if (!Array.isArray(parts) || parts.length === 0 || parts.some((p) => typeof p !== "string"))
        throw new Error(`manifest s3://${ref.bucket}/${ref.key}: line ${i + 1} is not {"key": [part, ...]}`);
      return parts as string[];
    });
}
