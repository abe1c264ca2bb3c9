// S3 rules, for the @pulumi/aws 7 separate resources (joined to the bucket by dependency or by id)
// and for the same settings given inline on the bucket.
import { expect } from "chai";
import { violationsOf, Spec } from "./evaluate";
import { all, keyArn, secureBucket, spec, tags } from "./shapes";

const without = (part: keyof ReturnType<typeof secureBucket>) => {
  const parts = secureBucket("lake");
  delete (parts as Partial<typeof parts>)[part];
  return all(parts);
};

/** The same bucket with the separate resources matched only by the `bucket` value (no dependency info). */
const byValueOnly = (specs: Spec[]) => specs.map((s) => ({ ...s, deps: undefined }));

describe("policies: S3", () => {
  it("accepts a bucket built like infra/components/secureBucket.ts under every S3 rule", async () => {
    for (const rule of [
      "s3-cmk-encryption",
      "s3-versioning-enabled",
      "s3-public-access-block",
      "s3-noncurrent-version-expiry",
      "s3-tls-only-policy",
    ]) {
      expect(await violationsOf(rule, all(secureBucket("lake"))), rule).to.deep.equal([]);
      expect(await violationsOf(rule, byValueOnly(all(secureBucket("lake")))), rule).to.deep.equal([]);
    }
  });

  it("s3-cmk-encryption: rejects a bucket with no SSE-KMS configuration, or SSE-S3", async () => {
    const v = await violationsOf("s3-cmk-encryption", without("encryption"));
    expect(v.map((x) => [x.name, x.message])).to.deep.equal([
      [
        "lake",
        'S3 bucket "lake" has no default SSE-KMS encryption with a customer-managed key. Add an aws.s3.BucketServerSideEncryptionConfiguration for it with `applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: <CMK ARN> }`.',
      ],
    ]);
    const parts = secureBucket("lake");
    parts.encryption.props.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }];
    expect((await violationsOf("s3-cmk-encryption", all(parts)))[0].message).to.contain("(found AES256)");
  });

  it("s3-cmk-encryption: accepts the inline serverSideEncryptionConfiguration", async () => {
    const parts = secureBucket("lake");
    const bucket = spec(parts.bucket.type, "lake", {
      ...parts.bucket.props,
      serverSideEncryptionConfiguration: {
        rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn } },
      },
    });
    expect(await violationsOf("s3-cmk-encryption", [bucket])).to.deep.equal([]);
  });

  it("s3-versioning-enabled: rejects a missing or suspended BucketVersioning, accepts inline versioning", async () => {
    const v = await violationsOf("s3-versioning-enabled", without("versioning"));
    expect(v[0].message).to.equal(
      'S3 bucket "lake" is not versioned. Add an aws.s3.BucketVersioning for it with `versioningConfiguration: { status: "Enabled" }`.',
    );
    const parts = secureBucket("lake");
    parts.versioning.props.versioningConfiguration = { status: "Suspended" };
    expect(await violationsOf("s3-versioning-enabled", all(parts))).to.have.length(1);
    const inline = spec("aws:s3/bucketV2:BucketV2", "old", { versioning: { enabled: true }, tags });
    expect(await violationsOf("s3-versioning-enabled", [inline])).to.deep.equal([]);
  });

  it("s3-public-access-block: names the flags that are missing", async () => {
    expect((await violationsOf("s3-public-access-block", without("publicAccessBlock")))[0].message).to.equal(
      'S3 bucket "lake" does not block all public access (missing: blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets). Add an aws.s3.BucketPublicAccessBlock for it with all four flags set to true.',
    );
    const parts = secureBucket("lake");
    parts.publicAccessBlock.props.restrictPublicBuckets = false;
    expect((await violationsOf("s3-public-access-block", all(parts)))[0].message).to.contain(
      "(missing: restrictPublicBuckets)",
    );
  });

  it("s3-noncurrent-version-expiry: requires expiry before the erasure deadline (configurable)", async () => {
    expect((await violationsOf("s3-noncurrent-version-expiry", without("lifecycle")))[0].message).to.equal(
      'S3 bucket "lake" never expires noncurrent object versions: erased rows live on in them. Add an aws.s3.BucketLifecycleConfiguration rule for the whole bucket with `noncurrentVersionExpiration: { noncurrentDays: <fewer than 30> }`.',
    );
    const late = await violationsOf("s3-noncurrent-version-expiry", all(secureBucket("lake", 30)));
    expect(late[0].message).to.equal(
      'S3 bucket "lake" keeps noncurrent versions for 30 days, not less than the 30-day erasure deadline. Lower noncurrentVersionExpiration to fewer than 30 days.',
    );
    expect(
      await violationsOf("s3-noncurrent-version-expiry", all(secureBucket("lake", 7)), {
        erasureDeadlineDays: 7,
      }),
    ).to.have.length(1);
    // A rule limited to one prefix does not cover the bucket.
    const parts = secureBucket("lake");
    (parts.lifecycle.props.rules as { filter: object }[])[0].filter = { prefix: "tmp/" };
    expect(await violationsOf("s3-noncurrent-version-expiry", all(parts))).to.have.length(1);
    const inline = spec("aws:s3/bucket:Bucket", "old", {
      lifecycleRules: [{ enabled: true, noncurrentVersionExpiration: { days: 5 } }],
      tags,
    });
    expect(await violationsOf("s3-noncurrent-version-expiry", [inline])).to.deep.equal([]);
  });

  it("s3-tls-only-policy: rejects a bucket with no policy or a policy that does not deny plain HTTP", async () => {
    expect((await violationsOf("s3-tls-only-policy", without("policy")))[0].message).to.match(
      /^S3 bucket "lake" accepts plain-HTTP requests\. Add an aws\.s3\.BucketPolicy with a statement/,
    );
    const parts = secureBucket("lake");
    parts.policy.props.policy = JSON.stringify({
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "arn:aws:s3:::x/*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
    expect(
      await violationsOf("s3-tls-only-policy", all(parts)),
      "objects only, not the bucket",
    ).to.have.length(1);
  });

  it("checks each bucket against its own configuration resources", async () => {
    const a = secureBucket("a");
    const b = secureBucket("b");
    const v = await violationsOf("s3-versioning-enabled", [...all(a), b.bucket]);
    expect(v.map((x) => x.name)).to.deep.equal(["b"]);
  });
});
