// A batch's subject IDs, written once to S3 as JSON Lines (`{"id": [part, ...]}` per subject), SSE-KMS,
// under `erasure-manifests/batch_id=<batch>/` in the lake bucket: the prefix expires before the erasure
// deadline, and the Glue manifest table (partition projection on batch_id) lets Athena join it. The
// IDs travel nowhere else: messages and state payloads carry the ManifestRef only.
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { manifestRoot, manifestTable } from "../contracts/lakeSchema";
import { ManifestRef } from "../contracts/messages";
import { SubjectKey } from "../subjects/subjectHash";

export interface WriteManifestArgs {
  bucket: string;
  /** Defaults to `erasure-manifests/`; must end with "/". */
  prefix?: string;
  batchId: string;
  /** One array of parts per subject (one part for a single ID column). */
  keys: readonly (readonly SubjectKey[])[];
  kmsKeyArn: string;
}

/** A manifest that cannot be written or used: `corrupt` when what S3 holds is not a manifest. */
export class ManifestError extends Error {
  constructor(
    message: string,
    readonly reason: "invalid" | "corrupt" = "invalid",
  ) {
    super(message);
    this.message = message;
    this.name = "ManifestError";
  }
}

/** Batch ids become an S3 key segment and a partition value: letters, digits, `-` and `_` only. */
export const batchIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

export function manifestKey(batchId: string, prefix = manifestRoot): string {
  if (!batchIdPattern.test(batchId)) {
    throw new ManifestError(`batch id ${JSON.stringify(batchId)} must be 1-128 letters, digits, - or _`);
  }
  if (prefix !== "" && !prefix.endsWith("/"))
    throw new ManifestError(`manifest prefix ${prefix} must end with /`);
  return `${prefix}${manifestTable.partitionKey}=${batchId}/manifest.jsonl`;
}

/** The batch a manifest belongs to (the partition Athena's join selects). */
export function manifestBatchId(ref: ManifestRef): string {
  const m = new RegExp(`(?:^|/)${manifestTable.partitionKey}=([A-Za-z0-9_-]+)/[^/]+$`).exec(ref.key);
  if (!m) throw new ManifestError(`s3://${ref.bucket}/${ref.key} is not a batch manifest`);
  return m[1];
}

/** Checks and de-duplicates the keys: same number of parts each, no empty part, at least one key. */
export function normaliseKeys(keys: readonly (readonly SubjectKey[])[]): string[][] {
  if (keys.length === 0) throw new ManifestError("the batch has no subject IDs");
  const seen = new Set<string>();
  const out: string[][] = [];
  let width = -1;
  keys.forEach((key, i) => {
    const parts = (key as readonly SubjectKey[]).flat();
    if (parts.length === 0 || parts.some((p) => typeof p !== "string" || p === "")) {
      throw new ManifestError(`subject ${i + 1} has an empty ID part`);
    }
    if (width === -1) width = parts.length;
    if (parts.length !== width) {
      throw new ManifestError(`subject ${i + 1} has ${parts.length} ID part(s), the first has ${width}`);
    }
    const canonical = JSON.stringify(parts);
    if (!seen.has(canonical)) {
      seen.add(canonical);
      out.push(parts);
    }
  });
  return out;
}

/** Writes the batch's manifest once (a second write for the same batch is refused) and returns where. */
export async function writeManifest(s3: S3Client, args: WriteManifestArgs): Promise<ManifestRef> {
  const key = manifestKey(args.batchId, args.prefix);
  const body = normaliseKeys(args.keys)
    .map((parts) => JSON.stringify({ [manifestTable.idColumn]: parts }))
    .join("\n");
  try {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: args.bucket,
        Key: key,
        Body: `${body}\n`,
        ContentType: "application/x-ndjson",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: args.kmsKeyArn,
        IfNoneMatch: "*",
      }),
    );
    return { bucket: args.bucket, key, ...(put.VersionId ? { versionId: put.VersionId } : {}) };
  } catch (e) {
    if (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 412) {
      throw new ManifestError(`batch ${args.batchId} already has a manifest (s3://${args.bucket}/${key})`);
    }
    throw e;
  }
}

/** The batch's keys, one array of parts per subject, from exactly the version written. */
export async function readManifest(s3: S3Client, ref: ManifestRef): Promise<string[][]> {
  const o = await s3.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
  );
  const text = await o.Body!.transformToString("utf-8");
  const where = `s3://${ref.bucket}/${ref.key}`;
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        throw new ManifestError(`${where}: line ${i + 1} is not JSON`, "corrupt");
      }
      const parts = (entry as Record<string, unknown> | null)?.[manifestTable.idColumn];
      if (
        !Array.isArray(parts) ||
        parts.length === 0 ||
        parts.some((p) => typeof p !== "string" || p === "")
      ) {
        throw new ManifestError(`${where}: line ${i + 1} is not a manifest entry`, "corrupt");
      }
      return parts as string[];
    });
}
