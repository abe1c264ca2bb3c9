// Writes a planned new version (multipartPlan.ts) as one multipart upload: carried ranges copied from
// the version read (UploadPartCopy pinned to its version id and ETag), the rest uploaded from the
// temporary file (and the short carried ranges downloaded into their neighbour's part), completed only
// if the current version is still the one read (If-Match). Any failure aborts the upload: no part is
// left behind (and the lake bucket's lifecycle rule removes what an interrupted function could not).
import * as fs from "node:fs";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CompletedPart,
  CreateMultipartUploadCommand,
  CreateMultipartUploadCommandInput,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import type { ByteSource } from "../formats/byteSource";
import type { ObjectVersion } from "./s3Objects";
import type { PlannedPart } from "./multipartPlan";

export interface MultipartWrite {
  /** Headers of the new version: metadata, tagging, storage class, encryption... */
  create: Omit<CreateMultipartUploadCommandInput, "Bucket" | "Key">;
  /** The version read: carried ranges are copied from it, and the upload completes only over it. */
  version: ObjectVersion;
  /** Reads of that version (short carried ranges are downloaded through it, so they count as read). */
  source: ByteSource;
  /** The temporary file holding the written segments. */
  file: fs.promises.FileHandle;
  parts: PlannedPart[];
  /** Asked just before the upload completes (throws when it must not: a lost lock). */
  beforeComplete?: () => Promise<void>;
  /** Test seam: called after each part, with its number (tests fail or race an upload there). */
  afterPart?: (partNumber: number, uploadId: string) => Promise<void>;
}

/** Parts in flight at once: each uploaded one is held in memory (at most multipartPlan's uploadPart). */
const PARTS_IN_FLIGHT = 4;

export async function writeMultipart(
  s3: S3Client,
  w: MultipartWrite,
): Promise<{ etag: string; versionId?: string }> {
  const { bucket: Bucket, key: Key } = w.version;
  const created = await s3.send(new CreateMultipartUploadCommand({ ...w.create, Bucket, Key }));
  const UploadId = created.UploadId!;
  try {
    const done: CompletedPart[] = new Array(w.parts.length);
    let next = 0;
    const worker = async () => {
      while (next < w.parts.length) {
        const i = next++;
        done[i] = { PartNumber: i + 1, ETag: await sendPart(s3, w, UploadId, i) };
        await w.afterPart?.(i + 1, UploadId);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, w.parts.length) }, worker));
    await w.beforeComplete?.();
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: done },
        IfMatch: w.version.etag,
      }),
    );
    return { etag: completed.ETag!, versionId: completed.VersionId };
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    throw err;
  }
}

async function sendPart(s3: S3Client, w: MultipartWrite, UploadId: string, i: number): Promise<string> {
  const { bucket: Bucket, key: Key, versionId, etag } = w.version;
  const part = w.parts[i];
  if (part.kind === "copy") {
    const copied = await s3.send(
      new UploadPartCopyCommand({
        Bucket,
        Key,
        UploadId,
        PartNumber: i + 1,
        CopySource: copySource(Bucket, Key, versionId),
        CopySourceRange: `bytes=${part.start}-${part.end - 1}`,
        CopySourceIfMatch: etag,
      }),
    );
    return copied.CopyPartResult!.ETag!;
  }
  const body = Buffer.allocUnsafe(part.length);
  let at = 0;
  for (const piece of part.pieces) {
    const length = piece.end - piece.start;
    if (piece.kind === "written") {
      const { bytesRead } = await w.file.read(body, at, length, piece.start);
      if (bytesRead !== length) throw new Error(`temporary file: read ${bytesRead} of ${length} bytes`);
    } else {
      body.set(await w.source.read(piece.start, length), at);
    }
    at += length;
  }
  const uploaded = await s3.send(
    new UploadPartCommand({
      Bucket,
      Key,
      UploadId,
      PartNumber: i + 1,
      Body: body,
      ContentLength: body.length,
    }),
  );
  return uploaded.ETag!;
}

/** `x-amz-copy-source`: bucket and key URL-encoded (slashes kept), pinned to the version. */
function copySource(bucket: string, key: string, versionId: string | undefined): string {
  const path = `${bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`;
  return versionId ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
}
