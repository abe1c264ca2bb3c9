// IAM and resource policy documents used across the program.

/** Trust policy for a role an AWS service assumes on our behalf, confined by `condition` to this account. */
export function serviceTrustPolicy(
  service: string,
  condition: Record<string, Record<string, string>>,
): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", Condition: condition },
    ],
  });
}

/** The resource-policy statement that refuses every plain-HTTP request. */
export function denyInsecureTransport(action: string, resource: string | string[]): object {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** The key-policy statement that lets this account's IAM policies grant use of a KMS key. */
export function enableIamPoliciesOfAccount(partition: string, account: string): object {
  return {
    Sid: "EnableIamPoliciesOfThisAccount",
    Effect: "Allow",
    Principal: { AWS: `arn:${partition}:iam::${account}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}

/** `kms:ViaService` for the named services ("s3", "sqs", ...) in one region. */
export function viaServices(
  region: string,
  services: readonly string[],
): Record<string, Record<string, string[]>> {
  return { StringEquals: { "kms:ViaService": services.map((s) => `${s}.${region}.amazonaws.com`) } };
}
