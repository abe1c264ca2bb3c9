// Whether the purge role may do what a purge does under each mapper's location: read every version,
// write the rewritten object, delete old versions, and use the key the bucket encrypts with. Asked of
// IAM's policy simulator (SimulatePrincipalPolicy), where the account lets these credentials ask.
import { GetBucketEncryptionCommand, S3Client } from "@aws-sdk/client-s3";
import { IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { DataMapper, parseS3Location } from "../../../runtime/contracts/mappers";
import { awsError, DoctorCheck, failed, ok, skipped } from "./checks";

export const purgeObjectActions = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:PutObject",
  "s3:DeleteObjectVersion",
];
export const purgeKeyActions = ["kms:Decrypt", "kms:GenerateDataKey"];

/** The KMS key the bucket encrypts new objects with (its default encryption), else the stack's key. */
async function bucketKey(s3: S3Client, bucket: string, stackKeyArn: string): Promise<string> {
  try {
    const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const rule = out.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    const id = rule?.SSEAlgorithm?.startsWith("aws:kms") ? rule.KMSMasterKeyID : undefined;
    return id?.startsWith("arn:") ? id : stackKeyArn;
  } catch {
    return stackKeyArn;
  }
}

export async function purgeAccessChecks(
  clients: { iam: IAMClient; s3: S3Client },
  roleArn: string,
  mapper: DataMapper,
  stackKeyArn: string,
  region: string,
): Promise<DoctorCheck[]> {
  const { bucket, prefix } = parseS3Location(mapper.location);
  const subject = `mapper ${mapper.name} (purge role ${roleArn.split("/").pop()})`;
  const keyArn = await bucketKey(clients.s3, bucket, stackKeyArn);
  const simulate = async (actions: string[], resource: string, context: Record<string, string>) => {
    const out = await clients.iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: actions,
        ResourceArns: [resource],
        ContextEntries: Object.entries(context).map(([key, value]) => ({
          ContextKeyName: key,
          ContextKeyValues: [value],
          ContextKeyType: "string",
        })),
      }),
    );
    return (out.EvaluationResults ?? [])
      .filter((r) => r.EvalDecision !== "allowed")
      .map((r) => `${r.EvalActionName} (${r.EvalDecision})`);
  };
  let deniedObjects: string[];
  let deniedKey: string[];
  try {
    deniedObjects = await simulate(purgeObjectActions, `arn:aws:s3:::${bucket}/${prefix}example`, {});
    deniedKey = await simulate(purgeKeyActions, keyArn, {
      "kms:ViaService": `s3.${region}.amazonaws.com`,
      "kms:EncryptionContext:aws:s3:arn": `arn:aws:s3:::${bucket}`,
    });
  } catch (err) {
    return [
      skipped(
        "purge role access",
        subject,
        "must",
        `IAM policy simulation is not available to these credentials (${awsError(err)}); ` +
          "allow iam:SimulatePrincipalPolicy on the purge role to have it checked",
      ),
    ];
  }
  const checks: DoctorCheck[] = [];
  checks.push(
    deniedObjects.length === 0
      ? ok(
          "purge role access",
          subject,
          "must",
          `${purgeObjectActions.join(", ")} allowed under ${mapper.location}`,
        )
      : failed(
          "purge role access",
          subject,
          "must",
          `denied under ${mapper.location}: ${deniedObjects.join(", ")}`,
          `grant the purge role ${deniedObjects.map((d) => d.split(" ")[0]).join(", ")} on arn:aws:s3:::${bucket}/${prefix}* ` +
            "(the mapper's location is in lethe:dataMappers, and `pulumi up` grants it), and check the bucket policy denies none",
        ),
  );
  checks.push(
    deniedKey.length === 0
      ? ok("purge role key use", subject, "must", `${purgeKeyActions.join(", ")} allowed on ${keyArn}`)
      : failed(
          "purge role key use",
          subject,
          "must",
          `denied on ${keyArn}: ${deniedKey.join(", ")}`,
          `grant the purge role ${purgeKeyActions.join(", ")} on ${keyArn} through S3 (kms:ViaService), in its policy and the key's policy`,
        ),
  );
  return checks;
}
