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
