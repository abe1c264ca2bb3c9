// Lambda rules: the letheFunction shape passes all four; the defaults (no DLQ, CallbackFunction's
// default role, wildcard grants, undeclared log group) are each named.
import { expect } from "chai";
import { violationsOf } from "./evaluate";
import { all, defaultRoleAttachments, letheFunction, queue, spec, tags } from "./shapes";

const lambdaRules = [
  "lambda-dead-letter-path",
  "lambda-no-broad-managed-policies",
  "lambda-no-wildcard-actions",
  "lambda-no-wildcard-resources",
  "lambda-active-tracing",
  "lambda-log-group-retention",
];

describe("policies: Lambda", () => {
  it("accepts the letheFunction shape under every Lambda rule", async () => {
    for (const rule of lambdaRules)
      expect(await violationsOf(rule, all(letheFunction("purge"))), rule).to.deep.equal([]);
  });

  it('lambda-no-wildcard-resources: accepts X-Ray\'s resource-less actions on "*", rejects any other action there', async () => {
    const f = letheFunction("purge");
    const policy = JSON.parse(f.rolePolicy.props.policy as string);
    policy.Statement.push({
      Sid: "Broad",
      Effect: "Allow",
      Action: ["xray:GetTraceSummaries", "s3:GetObject"],
      Resource: "*",
    });
    f.rolePolicy.props.policy = JSON.stringify(policy);
    const v = await violationsOf("lambda-no-wildcard-resources", all(f));
    expect(v.map((x) => x.message)).to.deep.equal([
      'Lambda function "purge" may act on every resource: xray:GetTraceSummaries in RolePolicy "purge-policy" (Sid Broad); s3:GetObject in RolePolicy "purge-policy" (Sid Broad). Name the ARNs of the tables, buckets, queues and keys it uses.',
    ]);
  });

  it("lambda-active-tracing: rejects a function without active X-Ray tracing", async () => {
    const f = letheFunction("purge");
    f.fn.props.tracingConfig = { mode: "PassThrough" };
    const v = await violationsOf("lambda-active-tracing", all(f));
    expect(v.map((x) => x.message)).to.deep.equal([
      'Lambda function "purge" does not trace (tracingConfig.mode is PassThrough). Set `tracingConfig: { mode: "Active" }` and grant xray:PutTraceSegments and xray:PutTelemetryRecords on "*".',
    ]);
    delete f.fn.props.tracingConfig;
    expect((await violationsOf("lambda-active-tracing", all(f)))[0].message).to.contain("mode is unset");
  });

  it("lambda-dead-letter-path: rejects a function with no DLQ, destination or redriven SQS source", async () => {
    const f = letheFunction("purge");
    f.fn.props.deadLetterConfig = undefined;
    delete f.fn.deps!.deadLetterConfig;
    const v = await violationsOf("lambda-dead-letter-path", all(f));
    expect(v.map((x) => x.message)).to.deep.equal([
      'Lambda function "purge" has no dead-letter path: failed invocations are dropped. Set `deadLetterConfig: { targetArn: <KMS-encrypted SQS queue ARN> }`, add an aws.lambda.FunctionEventInvokeConfig with an onFailure destination, or give its SQS source queue a redrivePolicy.',
    ]);
  });

  it("lambda-dead-letter-path: accepts an on-failure destination", async () => {
    const f = letheFunction("purge");
    f.fn.props.deadLetterConfig = undefined;
    delete f.fn.deps!.deadLetterConfig;
    const config = spec(
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
      "purge-async",
      { functionName: f.fn.props.name, destinationConfig: { onFailure: { destination: f.dlq.props.arn } } },
      { functionName: [f.fn] },
    );
    expect(await violationsOf("lambda-dead-letter-path", [...all(f), config])).to.deep.equal([]);
  });

  it("lambda-dead-letter-path: for an SQS-fed function, requires the source queue's redrive policy", async () => {
    const f = letheFunction("purge");
    f.fn.props.deadLetterConfig = undefined;
    delete f.fn.deps!.deadLetterConfig;
    const work = queue("purge-queue");
    const mapping = spec(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "purge-from-queue",
      { functionName: f.fn.props.name, eventSourceArn: work.props.arn },
      { functionName: [f.fn], eventSourceArn: [work] },
    );
    const v = await violationsOf("lambda-dead-letter-path", [...all(f), work, mapping]);
    expect(v[0].message).to.contain('(its SQS source "purge-queue" has no redrive policy)');
    work.props.redrivePolicy = JSON.stringify({ deadLetterTargetArn: f.dlq.props.arn, maxReceiveCount: 5 });
    expect(await violationsOf("lambda-dead-letter-path", [...all(f), work, mapping])).to.deep.equal([]);
  });

  it("lambda-no-broad-managed-policies: names the policies a CallbackFunction's default role gets", async () => {
    const role = spec("aws:iam/role:Role", "handler", {
      name: "handler-7f3e2a1",
      arn: "arn:aws:iam::123456789012:role/handler-7f3e2a1",
    });
    const fn = spec(
      "aws:lambda/function:Function",
      "handler",
      { role: role.props.arn, tags },
      { role: [role] },
    );
    const v = await violationsOf("lambda-no-broad-managed-policies", [
      role,
      fn,
      ...defaultRoleAttachments("handler", role),
    ]);
    expect(v.map((x) => x.message)).to.deep.equal([
      'Lambda function "handler" runs as role "handler" with broad managed policies: AWSLambda_FullAccess, AmazonCognitoPowerUser, AmazonDynamoDBFullAccess, AmazonKinesisFullAccess, AmazonS3FullAccess, AmazonSQSFullAccess, CloudWatchEventsFullAccess, CloudWatchFullAccessV2. Pass an explicit least-privilege `role` (a CallbackFunction without one attaches these) scoped to the tables, buckets, queues and keys it uses.',
    ]);
  });

  it("lambda-no-broad-managed-policies: sees AdministratorAccess in the role's managedPolicyArns", async () => {
    const f = letheFunction("purge");
    f.role.props.managedPolicyArns = ["arn:aws:iam::aws:policy/AdministratorAccess"];
    const v = await violationsOf("lambda-no-broad-managed-policies", all(f));
    expect(v[0].message).to.contain("with broad managed policies: AdministratorAccess.");
    f.role.props.managedPolicyArns = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"];
    expect(await violationsOf("lambda-no-broad-managed-policies", all(f))).to.deep.equal([]);
  });

  it('lambda-no-wildcard-actions: rejects "*" and "<service>:*" in RolePolicy, inline and attached policies', async () => {
    const f = letheFunction("purge");
    f.rolePolicy.props.policy = JSON.stringify({
      Statement: [{ Sid: "Everything", Effect: "Allow", Action: "*", Resource: "*" }],
    });
    const v = await violationsOf("lambda-no-wildcard-actions", all(f));
    expect(v.map((x) => x.message)).to.deep.equal([
      'Lambda function "purge" may run any action: * in RolePolicy "purge-policy" (Sid Everything). List the exact actions it needs (e.g. dynamodb:GetItem) on the exact resources.',
    ]);

    const g = letheFunction("find");
    g.role.props.inlinePolicies = [
      {
        name: "tables",
        policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["dynamodb:*"], Resource: "*" }] }),
      },
    ];
    expect((await violationsOf("lambda-no-wildcard-actions", all(g)))[0].message).to.contain(
      'dynamodb:* in inline policy "tables" of role "find-role"',
    );

    const h = letheFunction("verify");
    const managed = spec("aws:iam/policy:Policy", "verify-managed", {
      arn: "arn:aws:iam::123456789012:policy/verify-managed",
      policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
    });
    const attach = spec(
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      "verify-attach",
      { role: h.role.props.name, policyArn: managed.props.arn },
      { role: [h.role], policyArn: [managed] },
    );
    expect(
      (await violationsOf("lambda-no-wildcard-actions", [...all(h), managed, attach]))[0].message,
    ).to.contain('s3:* in IAM policy "verify-managed"');
    // A Deny with a wildcard is fine.
    const d = letheFunction("deny");
    d.rolePolicy.props.policy = JSON.stringify({
      Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }],
    });
    expect(await violationsOf("lambda-no-wildcard-actions", all(d))).to.deep.equal([]);
  });

  it("lambda-log-group-retention: finds /aws/lambda/<name> or loggingConfig.logGroup and requires retention", async () => {
    const f = letheFunction("purge");
    f.fn.props.loggingConfig = undefined;
    delete f.fn.deps!.loggingConfig;
    expect(
      await violationsOf("lambda-log-group-retention", all(f)),
      "found by /aws/lambda/<name>",
    ).to.deep.equal([]);

    const g = letheFunction("find");
    g.logGroup.props.retentionInDays = undefined;
    expect((await violationsOf("lambda-log-group-retention", all(g)))[0].message).to.equal(
      'Lambda function "find" logs to "find-logs" which keeps logs forever. Declare an aws.cloudwatch.LogGroup named /aws/lambda/<function name> (or set loggingConfig.logGroup) with retentionInDays and a KMS key.',
    );

    const h = letheFunction("verify");
    const noGroup = all(h).filter((s) => s !== h.logGroup);
    h.fn.props.loggingConfig = undefined;
    delete h.fn.deps!.loggingConfig;
    expect((await violationsOf("lambda-log-group-retention", noGroup))[0].message).to.contain(
      "has no declared log group, so Lambda creates /aws/lambda/<name> with no retention",
    );
  });
});
