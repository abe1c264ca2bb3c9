// The key subject hashes are keyed with: a KMS HMAC key whose material never leaves KMS. A function
// granted kms:GenerateMac on it derives its in-memory hashing key once per cold start
// (runtime/erasure/subjectHash.ts); no one else can compute, or confirm a guess of, a subject's hash.
// The key policy lets this account's IAM grant that use and nothing more: no AWS service uses it.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./tags";
import { enableIamPoliciesOfAccount } from "./policyDocuments";

export interface SubjectHashKeyArgs {
  tags: pulumi.Input<Tags>;
  /** Days KMS waits before deleting the key once scheduled (7-30). */
  deletionWindowInDays?: pulumi.Input<number>;
}

export class SubjectHashKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly alias: aws.kms.Alias;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: SubjectHashKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:security:SubjectHashKey", name, {}, opts);
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const policy = pulumi
      .all([identity.accountId, partition.partition])
      .apply(([account, part]) =>
        JSON.stringify({ Version: "2012-10-17", Statement: [enableIamPoliciesOfAccount(part, account)] }),
      );

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Lethe ${pulumi.getStack()}: keys the hashes that stand for data subjects in reports, the index and the audit trail`,
        customerMasterKeySpec: "HMAC_256",
        keyUsage: "GENERATE_VERIFY_MAC",
        // KMS cannot rotate HMAC keys; a new key (or label version) re-keys every subject hash.
        enableKeyRotation: false,
        deletionWindowInDays: args.deletionWindowInDays ?? 30,
        policy,
        tags: args.tags,
      },
      { parent: this },
    );
    this.alias = new aws.kms.Alias(
      `${name}-alias`,
      { name: `alias/lethe-${pulumi.getStack()}-subject-hash`, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.arn = this.key.arn;
    this.registerOutputs({ arn: this.arn, alias: this.alias.name });
  }
}
