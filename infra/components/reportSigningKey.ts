// The key reports are signed with: a KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY) whose private
// half never leaves KMS. Only the report function's role is granted kms:Sign on it
// (infra/erasure/workflowFunctions.ts), and the retention function's for its own reports
// (infra/erasure/retentionFunction.ts); anyone may check a report with the public key, a stack output
// (`reportSigningPublicKey`) printed in every certificate (docs/report.md). The key policy lets this
// account's IAM grant that use and nothing more: no AWS service uses it.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { EncryptionKeyArgs, accountIamKeyPolicy, keyWithAlias } from "./encryptionKey";
import type { PolicyStatement } from "./letheFunction";

export type ReportSigningKeyArgs = EncryptionKeyArgs;

/** What the report function needs to sign reports: Sign on this key, and its public key to name it. */
export function signReports(keyArn: string): PolicyStatement {
  return {
    Sid: "SignReports",
    Effect: "Allow",
    Action: ["kms:Sign", "kms:GetPublicKey"],
    Resource: keyArn,
  };
}

export class ReportSigningKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly alias: aws.kms.Alias;
  readonly arn: pulumi.Output<string>;
  /** The public key (SubjectPublicKeyInfo PEM) anyone checks reports with. */
  readonly publicKeyPem: pulumi.Output<string>;

  constructor(name: string, args: ReportSigningKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:security:ReportSigningKey", name, {}, opts);
    const policy = accountIamKeyPolicy(this);

    ({ key: this.key, alias: this.alias } = keyWithAlias(this, name, {
      description: `Lethe ${pulumi.getStack()}: signs each erasure report (ECDSA P-256), so an auditor can check it offline`,
      aliasName: `alias/lethe-${pulumi.getStack()}-report-signing`,
      policy,
      // KMS cannot rotate asymmetric keys: a new key signs new reports, the old public key checks old ones.
      key: { customerMasterKeySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY", enableKeyRotation: false },
      ...args,
    }));
    this.arn = this.key.arn;
    this.publicKeyPem = aws.kms.getPublicKeyOutput({ keyId: this.key.arn }, { parent: this }).publicKeyPem;
    this.registerOutputs({ arn: this.arn, alias: this.alias.name, publicKeyPem: this.publicKeyPem });
  }
}
