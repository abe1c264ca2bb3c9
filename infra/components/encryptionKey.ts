// The stack's customer-managed KMS key. Everything Lethe stores is encrypted with it; the key policy
// lets IAM grant use to our own roles and lets the AWS services that write for us (logs, alarms,
// events, S3 notifications) use it only on behalf of this account.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "./tags";
import { enableIamPoliciesOfAccount } from "./policyDocuments";

export interface EncryptionKeyArgs {
  tags: pulumi.Input<Tags>;
  /** Days KMS waits before deleting the key once scheduled (7-30). */
  deletionWindowInDays?: pulumi.Input<number>;
}

export class EncryptionKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly alias: aws.kms.Alias;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:security:EncryptionKey", name, {}, opts);
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });

    const policy = pulumi
      .all([identity.accountId, region.region, partition.partition])
      .apply(([account, regionName, part]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            enableIamPoliciesOfAccount(part, account),
            {
              Sid: "AllowCloudWatchLogsOfThisAccount",
              Effect: "Allow",
              Principal: { Service: `logs.${regionName}.amazonaws.com` },
              // No kms:Describe*: DescribeKey carries no encryption context, so under this statement's
              // condition it was never granted (parliament: UNKNOWN_CONDITION_FOR_ACTION; docs/checks.md).
              Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
              Resource: "*",
              Condition: {
                ArnLike: {
                  "kms:EncryptionContext:aws:logs:arn": `arn:${part}:logs:${regionName}:${account}:log-group:*`,
                },
              },
            },
            {
              Sid: "AllowAwsPublishersOnBehalfOfThisAccount",
              Effect: "Allow",
              Principal: {
                Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com"],
              },
              Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
      );

    ({ key: this.key, alias: this.alias } = keyWithAlias(this, name, {
      description: `Lethe ${pulumi.getStack()}: encrypts the lake, tables, queues, topics and logs`,
      aliasName: `alias/lethe-${pulumi.getStack()}`,
      policy,
      key: { enableKeyRotation: true },
      ...args,
    }));
    this.arn = this.key.arn;
    this.registerOutputs({ arn: this.arn, alias: this.alias.name });
  }
}

/**
 * The key policy of a key only this account's IAM policies grant use of (the subject hash, report
 * signing and approval link keys): the grants themselves are each role's, least privilege.
 */
export function accountIamKeyPolicy(parent: pulumi.Resource): pulumi.Output<string> {
  const identity = aws.getCallerIdentityOutput({}, { parent });
  const partition = aws.getPartitionOutput({}, { parent });
  return pulumi
    .all([identity.accountId, partition.partition])
    .apply(([account, part]) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [enableIamPoliciesOfAccount(part, account)] }),
    );
}

/** A customer-managed key and its alias, children of `parent`: the part every Lethe key shares. */
export function keyWithAlias(
  parent: pulumi.Resource,
  name: string,
  args: EncryptionKeyArgs & {
    description: string;
    aliasName: string;
    policy: pulumi.Input<string>;
    /** What sets this key apart: its spec, usage and rotation. */
    key: Pick<aws.kms.KeyArgs, "customerMasterKeySpec" | "keyUsage" | "enableKeyRotation">;
  },
): { key: aws.kms.Key; alias: aws.kms.Alias } {
  const key = new aws.kms.Key(
    `${name}-key`,
    {
      description: args.description,
      ...args.key,
      deletionWindowInDays: args.deletionWindowInDays ?? 30,
      policy: args.policy,
      tags: args.tags,
    },
    { parent },
  );
  const alias = new aws.kms.Alias(
    `${name}-alias`,
    { name: args.aliasName, targetKeyId: key.keyId },
    { parent },
  );
  return { key, alias };
}
