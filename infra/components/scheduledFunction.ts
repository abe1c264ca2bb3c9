// A function invoked on an EventBridge schedule: the rule, its target (retried twice within the hour)
// and the permission for EventBridge to invoke exactly that function from exactly that rule. The batch,
// deadline, filter-builder and retention functions are scheduled this way.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { LetheFunction } from "./letheFunction";

/** Resources are named `<prefix>-schedule`, `<prefix>-target` and `<prefix>-permission`. */
export function scheduleFunction(
  prefix: string,
  fn: LetheFunction,
  scheduleExpression: pulumi.Input<string>,
  description: string,
  tags: pulumi.Input<Record<string, pulumi.Input<string>>> | undefined,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.EventRule {
  const rule = new aws.cloudwatch.EventRule(
    `${prefix}-schedule`,
    { description, scheduleExpression, tags },
    opts,
  );
  new aws.cloudwatch.EventTarget(
    `${prefix}-target`,
    {
      rule: rule.name,
      arn: fn.arn,
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
    },
    opts,
  );
  new aws.lambda.Permission(
    `${prefix}-permission`,
    {
      action: "lambda:InvokeFunction",
      function: fn.function.name,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    },
    opts,
  );
  return rule;
}
