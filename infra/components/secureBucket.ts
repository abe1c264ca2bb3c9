// An S3 bucket the way every Lethe bucket must be: versioned, SSE-KMS with our key and a bucket key,
// all public access blocked, owner-enforced objects, TLS-only, and noncurrent versions expired.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./tags";
import { denyInsecureTransport } from "./policyDocuments";

export interface SecureBucketArgs {
  kmsKeyArn: pulumi.Input<string>;
  /** Days after which S3 removes noncurrent versions (the copies a purge leaves behind). */
  noncurrentVersionExpirationDays: pulumi.Input<number>;
  /** Days after which current objects expire too (scratch buckets such as query results). */
  expirationDays?: pulumi.Input<number>;
  /** Further lifecycle rules, e.g. a short expiry for a prefix holding raw records. */
  extraLifecycleRules?: aws.types.input.s3.BucketLifecycleConfigurationRule[];
  tags: pulumi.Input<Tags>;
  forceDestroy?: pulumi.Input<boolean>;
}

/** A bucket policy that refuses plain-HTTP requests and uploads naming another encryption. */
export function tlsOnlyBucketPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      denyInsecureTransport("s3:*", [bucketArn, `${bucketArn}/*`]),
      {
        Sid: "DenyUploadsWithOtherEncryption",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        // Only when the header is sent: uploads without it get the bucket's default (our key).
        Condition: {
          Null: { "s3:x-amz-server-side-encryption": "false" },
          StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        },
      },
    ],
  });
}

export class SecureBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly versioning: aws.s3.BucketVersioning;
  readonly encryption: aws.s3.BucketServerSideEncryptionConfiguration;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  readonly lifecycle: aws.s3.BucketLifecycleConfiguration;
  readonly policy: aws.s3.BucketPolicy;
  readonly bucketName: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:storage:SecureBucket", name, {}, opts);
    const parent = { parent: this };

    this.bucket = new aws.s3.Bucket(
      name,
      { forceDestroy: args.forceDestroy ?? false, tags: args.tags },
      parent,
    );
    this.versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } },
      parent,
    );
    this.encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: this.bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
            bucketKeyEnabled: true,
          },
        ],
      },
      parent,
    );
    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    const rules: aws.types.input.s3.BucketLifecycleConfigurationRule[] = [
      {
        id: "expire-noncurrent-versions",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionExpirationDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ];
    if (args.expirationDays !== undefined) {
      rules.push({
        id: "expire-current-objects",
        status: "Enabled",
        filter: {},
        expiration: { days: args.expirationDays },
      });
    }
    rules.push(...(args.extraLifecycleRules ?? []));
    this.lifecycle = new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket: this.bucket.id, rules },
      { parent: this, dependsOn: [this.versioning] },
    );
    this.policy = new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      { bucket: this.bucket.id, policy: this.bucket.arn.apply(tlsOnlyBucketPolicy) },
      { parent: this, dependsOn: [this.publicAccessBlock] },
    );

    this.bucketName = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}
