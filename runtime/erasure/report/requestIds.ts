// A request's raw IDs, as the intake wrote them (one JSON line per subject under requestIdsRoot), read
// once more by the report task to compute the keyed hashes the report shows when the request record
// does not hold them, and the attributes of a request record that may hold raw IDs.
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ManifestRef } from "../../contracts/messages";
import type { SubjectHasher, SubjectKey } from "../../subjects/subjectHash";

/** Request-record attributes that held raw IDs in any version of the record; the report removes them. */
export const rawIdAttributes = ["subjects", "customerIds", "ids"] as const;

/** One line of an ID file: `{"id": [...]}` (the manifest's shape), `["a", "b"]` or `"1001"`. */
function subjectOf(line: string, where: string, n: number): SubjectKey {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`${where}: line ${n} is not JSON`);
  }
  if (v && typeof v === "object" && !Array.isArray(v)) v = (v as Record<string, unknown>).id;
  if (typeof v === "string" && v !== "") return v;
  if (Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === "string" && p !== "")) {
    return v.length === 1 ? (v[0] as string) : (v as string[]);
  }
  throw new Error(`${where}: line ${n} is not a subject ID`);
}

/** The keyed hashes of the subjects in an ID file, in file order; undefined when the file is gone. */
export async function hashIdFile(
  s3: S3Client,
  file: ManifestRef,
  hasher: SubjectHasher,
): Promise<string[] | undefined> {
  let text: string;
  try {
    const o = await s3.send(
      new GetObjectCommand({ Bucket: file.bucket, Key: file.key, VersionId: file.versionId }),
    );
    text = await o.Body!.transformToString("utf8");
  } catch (err) {
    const name = (err as Error).name;
    if (name === "NoSuchKey" || name === "NoSuchVersion" || name === "NotFound") return undefined;
    throw err;
  }
  const where = `s3://${file.bucket}/${file.key}`;
  const hashes: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() !== "") hashes.push(hasher.hash(subjectOf(line, where, i + 1)));
  });
  return [...new Set(hashes)];
}
