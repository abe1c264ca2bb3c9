// A data mapper's bucket: versioning enabled (purge keeps the rewritten object's history until it
// deletes the old versions itself), no object written while it was off or suspended, and lifecycle
// rules that expire noncurrent versions within the erasure deadline and abandoned multipart uploads.
import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  LifecycleRule,
  ListObjectVersionsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DataMapper, parseS3Location } from "../../../runtime/contracts/mappers";
import { awsError, DoctorCheck, failed, ok } from "./checks";

/** Whether an enabled rule applies to every object under `prefix` (no tag or size condition). */
function coversPrefix(rule: LifecycleRule, prefix: string): boolean {
  if (rule.Status !== "Enabled") return false;
  const filter = rule.Filter;
  if (filter?.Tag || filter?.And?.Tags?.length) return false;
  if (filter?.ObjectSizeGreaterThan !== undefined || filter?.And?.ObjectSizeGreaterThan !== undefined)
    return false;
  const rulePrefix = filter?.Prefix ?? filter?.And?.Prefix ?? rule.Prefix ?? "";
  return prefix.startsWith(rulePrefix);
}

async function lifecycleRules(s3: S3Client, bucket: string): Promise<LifecycleRule[]> {
  try {
    return (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  } catch (err) {
    if ((err as { name?: string }).name === "NoSuchLifecycleConfiguration") return [];
    throw err;
  }
}

export async function bucketChecks(
  s3: S3Client,
  mapper: DataMapper,
  deadlineDays: number,
): Promise<DoctorCheck[]> {
  const { bucket, prefix } = parseS3Location(mapper.location);
  const subject = `mapper ${mapper.name} (s3://${bucket}/${prefix})`;
  const checks: DoctorCheck[] = [];
  let status: string | undefined;
  try {
    status = (await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
  } catch (err) {
    return [
      failed(
        "bucket versioning",
        subject,
        "must",
        `cannot read the bucket's versioning: ${awsError(err)}`,
        `check that bucket ${bucket} exists and that these credentials may s3:GetBucketVersioning on it`,
      ),
    ];
  }
  checks.push(
    status === "Enabled"
      ? ok("bucket versioning", subject, "must", "enabled")
      : failed(
          "bucket versioning",
          subject,
          "must",
          status === "Suspended" ? "versioning is suspended" : "versioning was never enabled",
          `enable versioning on bucket ${bucket} (aws s3api put-bucket-versioning --bucket ${bucket} ` +
            "--versioning-configuration Status=Enabled): a purge rewrites objects and must keep their versions",
        ),
  );
  // An object version named "null" was written while versioning was off or suspended.
  const versions = await s3.send(
    new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }),
  );
  const unversioned = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].filter(
    (v) => v.VersionId === "null",
  ).length;
  checks.push(
    unversioned === 0
      ? ok("never suspended", subject, "should", "no object version was written without versioning")
      : failed(
          "never suspended",
          subject,
          "should",
          `${unversioned} object version(s) under the location were written while versioning was off or suspended`,
          `keep versioning Enabled on bucket ${bucket} from now on and never suspend it; rewrite those objects ` +
            "(a copy onto themselves) so each has a real version",
        ),
  );
  const rules = await lifecycleRules(s3, bucket);
  const covering = rules.filter((r) => coversPrefix(r, prefix));
  const noncurrent = covering
    .map((r) => r.NoncurrentVersionExpiration?.NoncurrentDays)
    .filter((d): d is number => d !== undefined);
  const shortest = noncurrent.length > 0 ? Math.min(...noncurrent) : undefined;
  checks.push(
    shortest !== undefined && shortest < deadlineDays
      ? ok("noncurrent version expiry", subject, "should", `after ${shortest} day(s)`)
      : failed(
          "noncurrent version expiry",
          subject,
          "should",
          shortest === undefined
            ? "no enabled lifecycle rule expires noncurrent versions under the location"
            : `noncurrent versions expire after ${shortest} day(s), not within the ${deadlineDays}-day erasure deadline`,
          `add a lifecycle rule to bucket ${bucket} (prefix '${prefix}' or the whole bucket) with ` +
            `NoncurrentVersionExpiration NoncurrentDays below ${deadlineDays} (Lethe's own lake uses 3)`,
        ),
  );
  const abort = covering.some((r) => r.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined);
  checks.push(
    abort
      ? ok("incomplete multipart uploads", subject, "should", "expired by a lifecycle rule")
      : failed(
          "incomplete multipart uploads",
          subject,
          "should",
          "no enabled lifecycle rule aborts incomplete multipart uploads under the location",
          `add AbortIncompleteMultipartUpload DaysAfterInitiation 1 to a lifecycle rule of bucket ${bucket} ` +
            "covering the location: an upload a purge abandoned keeps the bytes it sent",
        ),
  );
  return checks;
}
