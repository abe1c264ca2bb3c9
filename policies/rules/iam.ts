// Reading IAM from a stack: the managed policies attached to a role (however they are attached) and
// every policy document that grants it permissions. Used by the Lambda rules.
import type { PolicyResource } from "@pulumi/policy";
import { at, known, list, StackView, Statement, statements, text } from "./common";
import { T } from "./types";

/** AWS managed policies too broad for a function's role; `CallbackFunction` attaches nine of them by default. */
export const broadManagedPolicy = /(FullAccess(V2)?|AdministratorAccess|PowerUser(Access)?)$/;

export interface Attachment {
  policyArn: string;
  via: PolicyResource;
}

export function attachedManagedPolicies(stack: StackView, role: PolicyResource): Attachment[] {
  const direct = list(known(() => role.props.managedPolicyArns)).map((arn) => ({
    policyArn: String(arn),
    via: role,
  }));
  const attachments = [
    ...stack.referencing(role, [T.rolePolicyAttachment], "role"),
    ...stack.referencing(role, [T.policyAttachment], "roles"),
  ].map((a) => ({ policyArn: String(known(() => a.props.policyArn) ?? ""), via: a }));
  return [...direct, ...attachments].filter((a) => a.policyArn !== "");
}

export interface Grant {
  statement: Statement;
  source: string;
}

/** Every statement granting the role permissions: inline, RolePolicy, and customer-managed policies in the stack. */
export function grantsOf(stack: StackView, role: PolicyResource): Grant[] {
  const inline = list(known(() => role.props.inlinePolicies)).flatMap((p) =>
    statements(at(p, "policy")).map((s) => ({
      statement: s,
      source: `inline policy "${text(at(p, "name")) ?? "(unnamed)"}" of role "${role.name}"`,
    })),
  );
  const rolePolicies = stack.referencing(role, [T.rolePolicy], "role").flatMap((p) =>
    statements(known(() => p.props.policy)).map((s) => ({
      statement: s,
      source: `RolePolicy "${p.name}"`,
    })),
  );
  const managed = attachedManagedPolicies(stack, role)
    .flatMap((a) => stack.referenced(a.via, "policyArn", [T.managedPolicy]))
    .flatMap((p) =>
      statements(known(() => p.props.policy)).map((s) => ({
        statement: s,
        source: `IAM policy "${p.name}"`,
      })),
    );
  return [...inline, ...rolePolicies, ...managed];
}

/** Actions in an Allow statement that grant everything, or everything of a service ("*", "s3:*", NotAction). */
export function wildcardActions(s: Statement): string[] {
  if (s.Effect !== "Allow") return [];
  if (s.NotAction !== undefined) return [`NotAction ${JSON.stringify(s.NotAction)}`];
  return list(s.Action)
    .map(String)
    .filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a));
}

/**
 * Actions AWS authorizes on no resource ARN, so a policy must grant them on Resource "*": sending
 * trace segments (X-Ray) and the describe calls a VPC-attached function's network setup needs.
 */
export const resourcelessActions: readonly string[] = [
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
];

/** Actions an Allow statement grants on Resource "*" (or NotResource) that do take a resource ARN. */
export function wildcardResourceActions(s: Statement): string[] {
  if (s.Effect !== "Allow") return [];
  const everything = s.NotResource !== undefined || list(s.Resource).map(String).includes("*");
  if (!everything) return [];
  return list(s.Action)
    .map(String)
    .filter((a) => !resourcelessActions.includes(a));
}
