// Runs the pack's rules in-process the way @pulumi/policy's server calls them: validateResource with
// each resource's inputs, validateStack with every resource (parent, dependencies and property
// dependencies resolved to resource objects) and each rule's config. No gRPC: the gate's own tests
// cover that path end to end.
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  PolicyResourceOptions,
} from "@pulumi/policy";
import { letheRules } from "../../policies/rules";
import type { CollectedResource } from "../../local/program/mockedRun";

export interface Violation {
  policy: string;
  urn: string;
  /** Logical name of the resource the violation is about. */
  name: string;
  message: string;
}

/** A hand-built resource: `deps` names, per input property, the resources its value came from. */
export interface Spec {
  type: string;
  name: string;
  props: Record<string, unknown>;
  deps?: Record<string, Spec[]>;
}

const opts: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

export const urnOf = (s: { type: string; name: string }) => `urn:pulumi:test::lethe::${s.type}::${s.name}`;

/** Turns hand-built specs into the collected form the gate produces (inputs = outputs). */
export function collect(specs: Spec[]): CollectedResource[] {
  return specs.map((s) => ({
    urn: urnOf(s),
    type: s.type,
    name: s.name,
    custom: true,
    parent: "",
    dependencies: Object.values(s.deps ?? {})
      .flat()
      .map(urnOf),
    propertyDependencies: Object.fromEntries(Object.entries(s.deps ?? {}).map(([k, v]) => [k, v.map(urnOf)])),
    provider: "",
    options: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { create: 0, update: 0, delete: 0 },
      additionalSecretOutputs: [],
    },
    inputs: s.props,
    outputs: s.props,
  }));
}

type Config = Record<string, Record<string, unknown>>;

/** Every violation the pack reports for these resources (rules limited to `only` when given). */
export async function evaluate(
  resources: CollectedResource[],
  config: Config = {},
  only?: string[],
): Promise<Violation[]> {
  const out: Violation[] = [];
  const byUrn = new Map<string, PolicyResource>();
  const stackResources: PolicyResource[] = resources.map((r) => {
    const pr = {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: r.outputs,
      opts,
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource;
    byUrn.set(r.urn, pr);
    return pr;
  });
  resources.forEach((r, i) => {
    const pr = stackResources[i];
    pr.parent = byUrn.get(r.parent);
    pr.dependencies = r.dependencies.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => !!x);
    for (const [k, urns] of Object.entries(r.propertyDependencies)) {
      pr.propertyDependencies[k] = urns.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => !!x);
    }
  });
  const nameOf = (urn: string) => resources.find((r) => r.urn === urn)?.name ?? urn;
  for (const rule of letheRules) {
    if (only && !only.includes(rule.name)) continue;
    const getConfig = <T extends object>() => (config[rule.name] ?? {}) as T;
    const notApplicable = (reason?: string): never => {
      throw new Error(`not applicable: ${reason}`);
    };
    if ("validateStack" in rule) {
      await (rule as StackValidationPolicy).validateStack(
        { resources: stackResources, getConfig, stackTags: new Map(), notApplicable },
        (message, urn) => out.push({ policy: rule.name, urn: urn ?? "", name: nameOf(urn ?? ""), message }),
      );
      continue;
    }
    const validate = (rule as ResourceValidationPolicy).validateResource;
    for (const r of resources) {
      for (const v of [validate].flat()) {
        if (!v) continue;
        await v(
          {
            type: r.type,
            name: r.name,
            urn: r.urn,
            props: r.inputs,
            opts,
            stackTags: new Map(),
            isType: () => false,
            asType: () => undefined,
            getConfig,
            notApplicable,
          },
          (message) => out.push({ policy: rule.name, urn: r.urn, name: r.name, message }),
        );
      }
    }
  }
  return out;
}

/** Shorthand: evaluate hand-built specs against one rule. */
export function violationsOf(
  rule: string,
  specs: Spec[],
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  return evaluate(collect(specs), { [rule]: config }, [rule]);
}
