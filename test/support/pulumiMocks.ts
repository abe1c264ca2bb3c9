// Pulumi under mocks: records every resource the program registers (type, name, inputs) and answers
// the provider functions the program calls, returning computed fields (arn, url, ...) like AWS would.
import * as pulumi from "@pulumi/pulumi";

export const mockAccount = "123456789012";
export const mockRegion = "eu-west-1";

export interface RecordedResource {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: Record<string, any>;
}

export interface MockedProgram {
  resources: RecordedResource[];
  /** Resources of one Pulumi type token, e.g. "aws:s3/bucket:Bucket". */
  ofType(type: string): RecordedResource[];
  /** The single resource with that logical name (throws when absent). */
  named(name: string): RecordedResource;
}

function serviceOf(type: string): string {
  return type.split(":")[1]?.split("/")[0] ?? "mock";
}

export function installPulumiMocks(config: Record<string, string> = {}, stack = "dev"): MockedProgram {
  const resources: RecordedResource[] = [];
  pulumi.runtime.setAllConfig(config);
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        const service = serviceOf(args.type);
        const physical = args.inputs.name ?? `${args.name}-${stack}-0a1b2c3`;
        const arn = `arn:aws:${service}:${mockRegion}:${mockAccount}:${physical}`;
        const state: Record<string, unknown> = { ...args.inputs, arn, name: physical };
        if (args.type === "aws:s3/bucket:Bucket") {
          state.bucket = args.inputs.bucket ?? physical;
          state.arn = `arn:aws:s3:::${state.bucket}`;
        }
        if (args.type === "aws:sqs/queue:Queue")
          state.url = `https://sqs.${mockRegion}.amazonaws.com/${mockAccount}/${physical}`;
        if (args.type === "aws:kms/key:Key") state.keyId = `${args.name}-key-id`;
        if (args.type === "aws:lambda/function:Function") state.invokeArn = `${arn}/invocations`;
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
              accountId: mockAccount,
              arn: `arn:aws:iam::${mockAccount}:user/mock`,
              userId: "mock",
              id: mockAccount,
            };
          case "aws:index/getRegion:getRegion":
            return { name: mockRegion, region: mockRegion, id: mockRegion };
          case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
          default:
            return args.inputs;
        }
      },
    },
    "lethe",
    stack,
    false,
  );
  return {
    resources,
    ofType: (type) => resources.filter((r) => r.type === type),
    named: (name) => {
      const r = resources.find((x) => x.name === name);
      if (!r) throw new Error(`no resource named ${name}; have: ${resources.map((x) => x.name).join(", ")}`);
      return r;
    },
  };
}

/** The value inside an Output, once known. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits until the program has stopped registering resources (no new one for `quietMs`). */
export async function settle(program: MockedProgram, quietMs = 100, maxMs = 20_000): Promise<void> {
  const start = Date.now();
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 20));
    if (program.resources.length !== last) {
      last = program.resources.length;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      return;
    }
  }
  throw new Error(`program still registering resources after ${maxMs} ms`);
}
