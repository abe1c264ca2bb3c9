// Lambda functions that process personal data. Magic `CallbackFunction`s register as plain
// aws:lambda/function:Function resources with their own Role and, when no role is passed, nine
// *FullAccess-style managed policies: these rules see through that by joining functions, roles,
// attachments, policies, log groups, event source mappings and queues at stack level.
import type { PolicyResource } from "@pulumi/policy";
import {
  asChecked,
  at,
  Checked,
  inGdprScope,
  known,
  label,
  list,
  numeric,
  scopeDefaults,
  ScopeConfig,
  stackRule,
  StackView,
  Statement,
  text,
} from "./common";
import {
  attachedManagedPolicies,
  broadManagedPolicy,
  grantsOf,
  resourcelessActions,
  wildcardActions,
  wildcardResourceActions,
} from "./iam";
import { T } from "./types";

function functionsInScope(stack: StackView, cfg: ScopeConfig): PolicyResource[] {
  return stack.ofType(T.function).filter((f) => inGdprScope(asChecked(f), cfg));
}

function roleOf(stack: StackView, fn: PolicyResource): PolicyResource | undefined {
  return stack.referenced(fn, "role", [T.role])[0];
}

function hasRedrive(stack: StackView, queue: PolicyResource): boolean {
  return (
    text(known(() => queue.props.redrivePolicy)) !== undefined ||
    stack.referencing(queue, [T.queueRedrivePolicy], "queueUrl").length > 0
  );
}

/** Why the function has a dead-letter path, or undefined; `problems` collects SQS sources without one. */
function deadLetterPath(stack: StackView, fn: PolicyResource, problems: string[]): string | undefined {
  if (text(known(() => at(fn.props, "deadLetterConfig", "targetArn")))) return "deadLetterConfig";
  if (fn.propertyDependencies?.deadLetterConfig?.length) return "deadLetterConfig";
  const onFailure = stack
    .referencing(fn, [T.eventInvokeConfig], "functionName")
    .some((c) => text(known(() => at(c.props, "destinationConfig", "onFailure", "destination"))));
  if (onFailure) return "on-failure destination";
  const mappings = stack.referencing(fn, [T.eventSourceMapping], "functionName");
  let fedBySqs = false;
  for (const m of mappings) {
    const queues = stack.referenced(m, "eventSourceArn", [T.queue]);
    const source = String(known(() => m.props.eventSourceArn) ?? "");
    if (queues.length === 0 && !source.includes(":sqs:")) {
      if (text(known(() => at(m.props, "destinationConfig", "onFailure", "destinationArn"))))
        return "on-failure destination";
      continue;
    }
    fedBySqs = true;
    for (const q of queues)
      if (!hasRedrive(stack, q)) problems.push(`its SQS source "${q.name}" has no redrive policy`);
  }
  return fedBySqs && problems.length === 0 ? "SQS source with redrive policy" : undefined;
}

export const lambdaDeadLetterPath = stackRule({
  name: "lambda-dead-letter-path",
  description:
    "Every Lambda has somewhere for failed events to go: a DLQ (deadLetterConfig), an on-failure " +
    "destination, or, when fed by an SQS queue, a redrive policy on that queue. A lost event is an erasure that never happens.",
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    for (const fn of functionsInScope(stack, cfg)) {
      const problems: string[] = [];
      if (!deadLetterPath(stack, fn, problems)) {
        report(
          asChecked(fn),
          `${label(asChecked(fn))} has no dead-letter path${problems.length ? ` (${problems.join("; ")})` : ""}: ` +
            "failed invocations are dropped. Set `deadLetterConfig: { targetArn: <KMS-encrypted SQS queue ARN> }`, " +
            "add an aws.lambda.FunctionEventInvokeConfig with an onFailure destination, or give its SQS source queue a redrivePolicy.",
        );
      }
    }
  },
});

export const lambdaNoBroadManagedPolicies = stackRule({
  name: "lambda-no-broad-managed-policies",
  description:
    "No Lambda role carries *FullAccess, PowerUser or AdministratorAccess managed policies (what a CallbackFunction " +
    "without `role` gets); each function gets a least-privilege role.",
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    for (const fn of functionsInScope(stack, cfg)) {
      const role = roleOf(stack, fn);
      if (!role) continue;
      const broad = attachedManagedPolicies(stack, role)
        .map((a) => a.policyArn.split("/").pop() ?? a.policyArn)
        .filter((n) => broadManagedPolicy.test(n));
      if (broad.length > 0) {
        report(
          asChecked(fn),
          `${label(asChecked(fn))} runs as role "${role.name}" with broad managed policies: ${[...new Set(broad)].sort().join(", ")}. ` +
            "Pass an explicit least-privilege `role` (a CallbackFunction without one attaches these) scoped to the tables, buckets, queues and keys it uses.",
        );
      }
    }
  },
});

/**
 * Reports each function in scope whose role's grants `offending` finds something in (named with the
 * grant's source and Sid), with `what` it may then do and `fix`.
 */
function reportRoleGrants(
  stack: StackView,
  cfg: ScopeConfig,
  report: (r: Checked, message: string) => void,
  offending: (statement: Statement) => string[],
  what: string,
  fix: string,
): void {
  for (const fn of functionsInScope(stack, cfg)) {
    const role = roleOf(stack, fn);
    if (!role) continue;
    const found = grantsOf(stack, role).flatMap((g) =>
      offending(g.statement).map(
        (a) => `${a} in ${g.source}${g.statement.Sid ? ` (Sid ${g.statement.Sid})` : ""}`,
      ),
    );
    if (found.length > 0)
      report(asChecked(fn), `${label(asChecked(fn))} ${what}: ${found.join("; ")}. ${fix}`);
  }
}

export const lambdaNoWildcardActions = stackRule({
  name: "lambda-no-wildcard-actions",
  description:
    'No policy on a Lambda role allows "*" or "<service>:*" actions (inline, RolePolicy or attached policy).',
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    reportRoleGrants(
      stack,
      cfg,
      report,
      wildcardActions,
      "may run any action",
      "List the exact actions it needs (e.g. dynamodb:GetItem) on the exact resources.",
    );
  },
});

export const lambdaNoWildcardResources = stackRule({
  name: "lambda-no-wildcard-resources",
  description: `No policy on a Lambda role allows an action on Resource "*" unless AWS authorizes it on no resource (${resourcelessActions.join(", ")}).`,
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    reportRoleGrants(
      stack,
      cfg,
      report,
      wildcardResourceActions,
      "may act on every resource",
      "Name the ARNs of the tables, buckets, queues and keys it uses.",
    );
  },
});

export const lambdaActiveTracing = stackRule({
  name: "lambda-active-tracing",
  description:
    'Every Lambda traces with X-Ray (tracingConfig.mode "Active"), so a failed erasure can be followed across functions.',
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    for (const fn of functionsInScope(stack, cfg)) {
      const mode = text(known(() => at(fn.props, "tracingConfig", "mode")));
      if (mode !== "Active") {
        report(
          asChecked(fn),
          `${label(asChecked(fn))} does not trace (tracingConfig.mode is ${mode ?? "unset"}). ` +
            'Set `tracingConfig: { mode: "Active" }` and grant xray:PutTraceSegments and xray:PutTelemetryRecords on "*".',
        );
      }
    }
  },
});

/** Log groups the function writes to: loggingConfig.logGroup, or the default /aws/lambda/<name>. */
function logGroupsOf(stack: StackView, fn: PolicyResource): PolicyResource[] {
  const groups = stack.ofType(T.logGroup);
  const configured = text(known(() => at(fn.props, "loggingConfig", "logGroup")));
  const name = text(known(() => fn.props.name));
  const viaConfig = (fn.propertyDependencies?.loggingConfig ?? []).filter((d) => d.type === T.logGroup);
  const byName = groups.filter((g) => {
    const n = text(known(() => g.props.name));
    return (configured && n === configured) || (name && n === `/aws/lambda/${name}`);
  });
  // A name built from the function's own name output (unknown during a preview).
  const derived = groups.filter(
    (g) => !text(known(() => g.props.name)) && (g.propertyDependencies?.name ?? []).includes(fn),
  );
  return [...new Set([...viaConfig, ...byName, ...derived])];
}

export const lambdaLogGroupRetention = stackRule({
  name: "lambda-log-group-retention",
  description:
    "Every Lambda's log group (/aws/lambda/<name> or its loggingConfig.logGroup) is declared with a retention, " +
    "so logs that may mention data subjects do not live forever.",
  defaults: scopeDefaults,
  check(stack, cfg, report) {
    for (const fn of functionsInScope(stack, cfg)) {
      const groups = logGroupsOf(stack, fn);
      const kept = groups.filter((g) => (numeric(known(() => g.props.retentionInDays)) ?? 0) > 0);
      if (kept.length === 0) {
        report(
          asChecked(fn),
          `${label(asChecked(fn))} ` +
            (groups.length
              ? `logs to ${list(groups.map((g) => `"${g.name}"`)).join(", ")} which keeps logs forever`
              : "has no declared log group, so Lambda creates /aws/lambda/<name> with no retention") +
            ". Declare an aws.cloudwatch.LogGroup named /aws/lambda/<function name> (or set loggingConfig.logGroup) with retentionInDays and a KMS key.",
        );
      }
    }
  },
});

export const lambdaRules = [
  lambdaDeadLetterPath,
  lambdaNoBroadManagedPolicies,
  lambdaNoWildcardActions,
  lambdaNoWildcardResources,
  lambdaActiveTracing,
  lambdaLogGroupRetention,
];
