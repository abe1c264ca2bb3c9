// Pulumi under mocks: records every resource the program registers (type, name, inputs) and answers
// the provider functions the program calls, with the computed fields (arn, url, ...) of local/program/mockAws.ts.
import * as pulumi from "@pulumi/pulumi";
import { mockAccount, mockCall, mockState } from "../../local/program/mockAws";
import { configDefaults, LetheConfig, validateConfig } from "../../infra/config";
import { createLethe } from "../../infra/lethe";
import { lightenMockedRuns } from "../../local/program/lighterMockedRuns";

export { mockAccount };
export const mockRegion = "eu-west-1";

export interface RecordedResource {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: Record<string, any>;
}

export interface MockedProgram {
  resources: RecordedResource[];
  /** The stack outputs' values, once buildLetheUnderMocks has built the program. */
  outputs?: Record<string, unknown>;
  /** Resources of one Pulumi type token, e.g. "aws:s3/bucket:Bucket". */
  ofType(type: string): RecordedResource[];
  /** The single resource with that logical name (throws when absent). */
  named(name: string): RecordedResource;
}

export function installPulumiMocks(config: Record<string, string> = {}, stack = "dev"): MockedProgram {
  const resources: RecordedResource[] = [];
  lightenMockedRuns();
  pulumi.runtime.setAllConfig(config);
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return mockState(args.type, args.name, args.inputs, mockRegion);
      },
      call: (args: pulumi.runtime.MockCallArgs) => mockCall(args.token, args.inputs, mockRegion),
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

/** The physical name and ARN the mocks give a resource declared without an explicit name. */
export function mockIdentity(type: string, logicalName: string): { name: string; arn: string } {
  const { state } = mockState(type, logicalName, {}, mockRegion);
  return { name: String(state.bucket ?? state.name), arn: String(state.arn) };
}

/**
 * Builds the whole Lethe program under fresh mocks with the default settings plus `overrides`, and
 * waits until every resource is registered. `beforeBuild` runs once the mocks are installed.
 */
export async function buildLetheUnderMocks(
  overrides: Partial<LetheConfig> = {},
  beforeBuild?: () => void,
): Promise<MockedProgram> {
  const program = installPulumiMocks();
  beforeBuild?.();
  const stack = createLethe(validateConfig({ ...configDefaults, ...overrides }), "dev");
  const values = await Promise.all(
    Object.values(stack.outputs).map((o) => valueOf(o as pulumi.Output<unknown>)),
  );
  await settle(program);
  return {
    ...program,
    outputs: Object.fromEntries(Object.keys(stack.outputs).map((k, i) => [k, values[i]])),
  };
}
