// S3: buckets and the settings the program declares as their own resources (versioning, default
// encryption, lifecycle, policy, public access block, ownership). A bucket goes with its settings.
import {
  BucketLocationConstraint,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  LifecycleRule,
  ListObjectVersionsCommand,
  ObjectOwnership,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { Declared, ignoringMissing, isMissing, LocalContext, ResourceTranslator, tagList } from "../context";

async function bucketExists(s3: S3Client, Bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket }));
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

async function bucketUp(r: Declared, ctx: LocalContext): Promise<void> {
  const s3 = ctx.clients.s3;
  const Bucket = r.mocked.bucket as string;
  if (!(await bucketExists(s3, Bucket)))
    await s3.send(
      new CreateBucketCommand({
        Bucket,
        ...(ctx.region === "us-east-1"
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: ctx.region as BucketLocationConstraint } }),
      }),
    );
  if (r.inputs.tags && Object.keys(r.inputs.tags).length)
    await s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: tagList(r.inputs.tags) } }));
}

/** Deletes every version and delete marker, then the bucket. */
async function bucketDown(r: Declared, ctx: LocalContext): Promise<void> {
  const s3 = ctx.clients.s3;
  const Bucket = r.mocked.bucket as string;
  if (!(await bucketExists(s3, Bucket))) return;
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket, MaxKeys: 1000 }));
    const Objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      VersionId: v.VersionId,
    }));
    if (Objects.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } }));
  }
  await ignoringMissing(() => s3.send(new DeleteBucketCommand({ Bucket })));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function lifecycleRule(rule: any): LifecycleRule {
  const filter = rule.filter ?? {};
  return {
    ID: rule.id,
    Status: rule.status,
    Filter: filter.prefix !== undefined ? { Prefix: filter.prefix } : { Prefix: "" },
    ...(rule.expiration?.days !== undefined ? { Expiration: { Days: rule.expiration.days } } : {}),
    ...(rule.noncurrentVersionExpiration?.noncurrentDays !== undefined
      ? { NoncurrentVersionExpiration: { NoncurrentDays: rule.noncurrentVersionExpiration.noncurrentDays } }
      : {}),
    ...(rule.abortIncompleteMultipartUpload?.daysAfterInitiation !== undefined
      ? {
          AbortIncompleteMultipartUpload: {
            DaysAfterInitiation: rule.abortIncompleteMultipartUpload.daysAfterInitiation,
          },
        }
      : {}),
  };
}

interface PolicyStatement {
  Effect?: string;
  Condition?: unknown;
}

/**
 * The part of a bucket policy the emulator can hold. moto enforces bucket policies but ignores their
 * conditions, so a conditional Deny (TLS only, KMS uploads only) would deny every request: those
 * statements are left out locally. Undefined when nothing is left.
 */
export function emulatedBucketPolicy(policy: string): string | undefined {
  const doc = JSON.parse(policy) as { Statement?: PolicyStatement[] };
  const kept = (doc.Statement ?? []).filter((st) => !(st.Effect === "Deny" && st.Condition));
  return kept.length ? JSON.stringify({ ...doc, Statement: kept }) : undefined;
}

/** A bucket setting: put on every run (puts replace), removed with the bucket. */
function setting(put: (r: Declared, s3: S3Client) => Promise<unknown>): ResourceTranslator {
  return { up: (r, ctx) => put(r, ctx.clients.s3) };
}

export const s3Translators: Record<string, ResourceTranslator> = {
  "aws:s3/bucket:Bucket": { up: bucketUp, down: bucketDown },
  "aws:s3/bucketV2:BucketV2": { up: bucketUp, down: bucketDown },
  "aws:s3/bucketVersioning:BucketVersioning": setting((r, s3) =>
    s3.send(
      new PutBucketVersioningCommand({
        Bucket: r.inputs.bucket,
        VersioningConfiguration: { Status: r.inputs.versioningConfiguration.status },
      }),
    ),
  ),
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": setting((r, s3) =>
    s3.send(
      new PutBucketEncryptionCommand({
        Bucket: r.inputs.bucket,
        ServerSideEncryptionConfiguration: {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          Rules: r.inputs.rules.map((rule: any) => ({
            ApplyServerSideEncryptionByDefault: {
              SSEAlgorithm: rule.applyServerSideEncryptionByDefault.sseAlgorithm as ServerSideEncryption,
              KMSMasterKeyID: rule.applyServerSideEncryptionByDefault.kmsMasterKeyId,
            },
            BucketKeyEnabled: rule.bucketKeyEnabled,
          })),
        },
      }),
    ),
  ),
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": setting((r, s3) =>
    s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: r.inputs.bucket,
        LifecycleConfiguration: { Rules: r.inputs.rules.map(lifecycleRule) },
      }),
    ),
  ),
  "aws:s3/bucketPolicy:BucketPolicy": setting((r, s3) => {
    const Policy = emulatedBucketPolicy(r.inputs.policy);
    return Policy
      ? s3.send(new PutBucketPolicyCommand({ Bucket: r.inputs.bucket, Policy }))
      : s3.send(new DeleteBucketPolicyCommand({ Bucket: r.inputs.bucket }));
  }),
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": setting((r, s3) =>
    s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: r.inputs.bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: r.inputs.blockPublicAcls,
          BlockPublicPolicy: r.inputs.blockPublicPolicy,
          IgnorePublicAcls: r.inputs.ignorePublicAcls,
          RestrictPublicBuckets: r.inputs.restrictPublicBuckets,
        },
      }),
    ),
  ),
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": setting((r, s3) =>
    s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: r.inputs.bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: r.inputs.rule.objectOwnership as ObjectOwnership }] },
      }),
    ),
  ),
};
