// Trust policies for the roles AWS services assume on our behalf, confined to this account.
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
