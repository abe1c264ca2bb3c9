// What AWS would answer a Pulumi program run under mocks: a new resource's computed identifiers (ids
// and ARNs the policy rules join on) and the provider functions Lethe calls. Shared by the offline
// policy gate and the test harness (test/support/pulumiMocks.ts).
import * as crypto from "node:crypto";

export const mockAccount = "123456789012";

function hex7(seed: string): string {
  return crypto.createHash("sha1").update(seed).digest("hex").slice(0, 7);
}

/**
 * What AWS would return for a new resource: its inputs plus the computed identifiers rules join on.
 * An auto-named resource's suffix depends on the stack as well, as Pulumi's random suffix does: two
 * stacks provisioned into one emulator never share a table or a bucket.
 */
export function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  region: string,
  stack?: string,
) {
  const service = type.split(":")[1]?.split("/")[0] ?? "mock";
  const seed = stack ? `${stack}/${type}${name}` : type + name;
  const physical = (inputs.name as string | undefined) ?? `${name}-${hex7(seed)}`;
  const state: Record<string, unknown> = { ...inputs, name: physical };
  let id = physical;
  state.arn = `arn:aws:${service}:${region}:${mockAccount}:${physical}`;
  switch (type) {
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      id = (inputs.bucket as string | undefined) ?? physical;
      state.bucket = id;
      state.arn = `arn:aws:s3:::${id}`;
      break;
    case "aws:sqs/queue:Queue":
      state.url = `https://sqs.${region}.amazonaws.com/${mockAccount}/${physical}`;
      state.arn = `arn:aws:sqs:${region}:${mockAccount}:${physical}`;
      id = state.url as string;
      break;
    case "aws:iam/role:Role":
      state.arn = `arn:aws:iam::${mockAccount}:role/${physical}`;
      break;
    case "aws:iam/policy:Policy":
      state.arn = `arn:aws:iam::${mockAccount}:policy/${physical}`;
      id = state.arn as string;
      break;
    case "aws:kms/key:Key":
      id = `${hex7(name)}-key-id`;
      state.keyId = id;
      state.arn = `arn:aws:kms:${region}:${mockAccount}:key/${id}`;
      break;
    case "aws:lambda/function:Function":
      state.arn = `arn:aws:lambda:${region}:${mockAccount}:function:${physical}`;
      state.invokeArn = `${state.arn}/invocations`;
      break;
    case "aws:cloudwatch/logGroup:LogGroup":
      state.arn = `arn:aws:logs:${region}:${mockAccount}:log-group:${physical}`;
      break;
    case "aws:dynamodb/table:Table":
      state.arn = `arn:aws:dynamodb:${region}:${mockAccount}:table/${physical}`;
      break;
    case "aws:apigateway/restApi:RestApi":
      id = hex7(name).padEnd(10, "0");
      state.executionArn = `arn:aws:execute-api:${region}:${mockAccount}:${id}`;
      state.arn = `arn:aws:apigateway:${region}::/restapis/${id}`;
      state.rootResourceId = `${id}-root`;
      break;
    case "aws:apigateway/stage:Stage":
      // The rest API's id is an Output resolved by now: the mocks get it as a plain input.
      state.invokeUrl = `https://${String(inputs.restApi)}.execute-api.${region}.amazonaws.com/${String(inputs.stageName)}`;
      state.arn = `arn:aws:apigateway:${region}::/restapis/${String(inputs.restApi)}/stages/${String(inputs.stageName)}`;
      break;
    case "aws:sfn/stateMachine:StateMachine":
      state.arn = `arn:aws:states:${region}:${mockAccount}:stateMachine:${physical}`;
      id = state.arn as string;
      break;
    case "aws:cloudwatch/eventRule:EventRule":
      state.arn = `arn:aws:events:${region}:${mockAccount}:rule/${physical}`;
      break;
    case "aws:cloudwatch/dashboard:Dashboard":
      state.dashboardName = inputs.dashboardName ?? physical;
      break;
  }
  return { id, state };
}

/** Provider functions (data sources) the program calls. */
export function mockCall(
  token: string,
  inputs: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: mockAccount,
        arn: `arn:aws:iam::${mockAccount}:user/mock`,
        userId: "mock",
        id: mockAccount,
      };
    case "aws:index/getRegion:getRegion":
      return { name: region, region, id: region };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:kms/getPublicKey:getPublicKey":
      // No key material under mocks: a local stack reads the emulator's key after provisioning (local/stack/up.ts).
      return { ...inputs, id: String(inputs.keyId), publicKey: "", publicKeyPem: "" };
    default:
      return inputs;
  }
}
