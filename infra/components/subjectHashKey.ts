// The key subject hashes are keyed with: a KMS HMAC key whose material never leaves KMS. A function
// granted kms:GenerateMac on it derives its in-memory hashing key once per cold start
// (runtime/subjects/subjectHash.ts); no one else can compute, or confirm a guess of, a subject's hash.
// The key policy lets this account's IAM grant that use and nothing more: no AWS service uses it.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { EncryptionKeyArgs, accountIamKeyPolicy, keyWithAlias } from "./encryptionKey";
import type { PolicyStatement } from "./letheFunction";

export type SubjectHashKeyArgs = EncryptionKeyArgs;

/** What a function needs to compute subject hashes: GenerateMac on this key, nothing else. */
export function keySubjectHashes(keyArn: string): PolicyStatement {
  return { Sid: "KeySubjectHashes", Effect: "Allow", Action: "kms:GenerateMac", Resource: keyArn };
}

export class SubjectHashKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly alias: aws.kms.Alias;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: SubjectHashKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:security:SubjectHashKey", name, {}, opts);
    const policy = accountIamKeyPolicy(this);

    ({ key: this.key, alias: this.alias } = keyWithAlias(this, name, {
      description: `Lethe ${pulumi.getStack()}: keys the hashes that stand for data subjects in reports, the index and the audit trail`,
      aliasName: `alias/lethe-${pulumi.getStack()}-subject-hash`,
      policy,
      // KMS cannot rotate HMAC keys; a new key (or label version) re-keys every subject hash.
      key: { customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC", enableKeyRotation: false },
      ...args,
    }));
    this.arn = this.key.arn;
    this.registerOutputs({ arn: this.arn, alias: this.alias.name });
  }
}
