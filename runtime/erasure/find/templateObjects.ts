// Find for a `delete-object` mapper: its subjects' objects are named by its key template
// (runtime/subjects/keyTemplate.ts), so they are listed, never read. Per subject, one
// ListObjectVersions on the template's literal prefix with the subject's IDs filled in; every key there
// that fits the template for that subject is planned with every version and delete marker it has.
import { ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../../contracts/mappers";
import {
  keySubject,
  KeyTemplate,
  KeyTemplateError,
  parseKeyTemplate,
  subjectPrefix,
  subjectProblem,
} from "../../subjects/keyTemplate";
import { keyText } from "../../subjects/subjectIds";
import { FindInputError } from "./finder";

export interface TemplateObject {
  bucket: string;
  key: string;
  /** The key's current entry is an object version (not a delete marker). */
  current: boolean;
  /** Every version id and delete marker id of the key, as listed. */
  versionIds: string[];
}

/** The mapper's template, or a FindInputError naming the mapper (the program validated it at preview). */
export function mapperKeyTemplate(mapper: DataMapper): KeyTemplate {
  try {
    return parseKeyTemplate(mapper.keyTemplate, mapper.idColumns);
  } catch (err) {
    if (err instanceof KeyTemplateError) throw new FindInputError(mapper.name, err.message);
    throw err;
  }
}

/** Every object (by key) of the subjects under the mapper's template, with all its versions. */
export async function findTemplateObjects(
  s3: S3Client,
  mapper: DataMapper,
  subjects: readonly (readonly string[])[],
): Promise<TemplateObject[]> {
  const kt = mapperKeyTemplate(mapper);
  const { bucket, prefix } = parseS3Location(mapper.location);
  const found = new Map<string, TemplateObject>();
  for (const subject of subjects) {
    const problem = subjectProblem(kt, subject);
    if (problem) throw new FindInputError(mapper.name, `a subject cannot be found by key: ${problem}`);
    const wanted = keyText(subject);
    const listPrefix = prefix + subjectPrefix(kt, mapper.idColumns, subject);
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: listPrefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      const entries = [
        ...(page.Versions ?? []).map((v) => ({ ...v, marker: false })),
        ...(page.DeleteMarkers ?? []).map((v) => ({ ...v, marker: true })),
      ];
      for (const e of entries) {
        if (!e.Key || !e.VersionId) continue;
        if (keySubject(kt, mapper.idColumns, e.Key.slice(prefix.length)) !== wanted) continue;
        let o = found.get(e.Key);
        if (!o) found.set(e.Key, (o = { bucket, key: e.Key, current: false, versionIds: [] }));
        if (!o.versionIds.includes(e.VersionId)) o.versionIds.push(e.VersionId);
        if (e.IsLatest && !e.marker) o.current = true;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
  }
  return [...found.values()];
}

/** Whether the object's key names one of the subjects under the mapper's template (forget's check). */
export function keyNamesSubject(
  mapper: DataMapper,
  key: string,
  subjects: readonly (readonly string[])[],
): boolean {
  const kt = mapperKeyTemplate(mapper);
  const { prefix } = parseS3Location(mapper.location);
  if (!key.startsWith(prefix)) return false;
  const named = keySubject(kt, mapper.idColumns, key.slice(prefix.length));
  if (named === undefined) return false;
  return subjects.some((s) => subjectProblem(kt, s) === undefined && keyText(s) === named);
}
