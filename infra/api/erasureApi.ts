// The HTTP API (issue 16): an API Gateway REST API whose routes are imported from the document the
// route table generates (./apiDocument.ts), one API function behind every route (it calls the
// console functions with Lambda Invoke), IAM (SigV4) authorisation by default or a Cognito user pool
// by config, the stage's throttling from config, access logs to a KMS-encrypted log group with
// retention, an optional WAF web ACL, and the KMS HMAC key approval links are signed with.
//
// REST rather than HTTP API: IAM authorisation on each route, stage throttling, gateway responses
// and WAF association are all REST API features (HTTP APIs have no WAF).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Tags } from "../components/tags";
import { declared, LetheFunction, PolicyStatement } from "../components/letheFunction";
import { EncryptionKeyArgs, accountIamKeyPolicy, keyWithAlias } from "../components/encryptionKey";
import { envNames } from "../../runtime/contracts/env";
import { reportKey } from "../../runtime/contracts/report";
import { createApiHandler } from "../../runtime/handlers/api";
import { byStatusIndex } from "../../runtime/erasure/requestPages";
import type { ConsoleFunction } from "../../runtime/api/router";
import { ApiAuthorizer, deployedDocument } from "./apiDocument";
import { createHash } from "node:crypto";

export const apiFactory = () => createApiHandler();

export const apiStageName = "v1";

/** The Lambda names of the console functions (LetheFunction names them `lethe-<stack>-<shortName>`). */
export function consoleFunctionNames(stack = pulumi.getStack()): Record<ConsoleFunction, string> {
  return {
    request: `lethe-${stack}-request`,
    status: `lethe-${stack}-status`,
    cancel: `lethe-${stack}-cancel`,
    approval: `lethe-${stack}-approval`,
    "opt-in": `lethe-${stack}-opt-in`,
    batch: `lethe-${stack}-batch`,
  };
}

export interface ErasureApiArgs {
  tags: pulumi.Input<Tags>;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: pulumi.Input<number>;
  requestsTableName: pulumi.Input<string>;
  requestsTableArn: pulumi.Input<string>;
  ledgerTableName: pulumi.Input<string>;
  ledgerTableArn: pulumi.Input<string>;
  /** The purge failures awaiting a person: the console's operations page lists the last ones. */
  errorsTableName: pulumi.Input<string>;
  errorsTableArn: pulumi.Input<string>;
  /**
   * The console functions behind the routes, by Lambda name (LetheFunction.functionName, known before
   * they exist): the API then does not depend on them, so the function that sends approval
   * notifications, which the state machine and so the approval function depend on, can get the
   * API's URL.
   */
  functionNames: Record<ConsoleFunction, string>;
  authorizer: ApiAuthorizer;
  cognitoUserPoolArn?: string;
  /** The operator console's Cognito sign-in (docs/console.md); absent, the console is not served deployed. */
  consoleSignIn?: { domain: string; clientId: string };
  /** The console shows each request's report and certificate (read only) and checks its signature. */
  reportBucketName: pulumi.Input<string>;
  reportBucketArn: pulumi.Input<string>;
  reportSigningKeyArn: pulumi.Input<string>;
  /**
   * The dead-letter queues whose depths the operations page shows, by the name it shows: the API
   * function may GetQueueAttributes on exactly these. An Input: infra/lethe.ts passes every DLQ of
   * the stack, most of them declared after the API (a deferred output).
   */
  deadLetterQueues: pulumi.Input<Record<string, { url: string; arn: string }>>;
  throttle: { rateLimit: number; burstLimit: number };
  waf: boolean;
  approvalLinkTtlHours: number;
}

/** What a function that signs approval links needs: GenerateMac on the link key, nothing else. */
export function signApprovalLinks(keyArn: string): PolicyStatement {
  return { Sid: "SignApprovalLinks", Effect: "Allow", Action: "kms:GenerateMac", Resource: keyArn };
}

export class ApprovalLinkKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly arn: pulumi.Output<string>;
  constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:security:ApprovalLinkKey", name, {}, opts);
    const policy = accountIamKeyPolicy(this);
    ({ key: this.key } = keyWithAlias(this, name, {
      description: `Lethe ${pulumi.getStack()}: signs the approve/reject links of approval notifications`,
      aliasName: `alias/lethe-${pulumi.getStack()}-approval-links`,
      policy,
      key: { customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC", enableKeyRotation: false },
      ...args,
    }));
    this.arn = this.key.arn;
    this.registerOutputs({ arn: this.arn });
  }
}

export class ErasureApi extends pulumi.ComponentResource {
  readonly linkKey: ApprovalLinkKey;
  readonly api: LetheFunction;
  readonly restApi: aws.apigateway.RestApi;
  readonly stage: aws.apigateway.Stage;
  readonly accessLogs: aws.cloudwatch.LogGroup;
  readonly webAcl?: aws.wafv2.WebAcl;
  /** The base URL (stage included) callers and approval links use. */
  readonly url: pulumi.Output<string>;
  /** What the function sending approval notifications gets to put signed links in them. */
  readonly linkEnvironment: Record<string, pulumi.Input<string>>;

  constructor(name: string, args: ErasureApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lethe:api:ErasureApi", name, {}, opts);
    if (!args.consoleSignIn)
      void pulumi.log.warn(
        args.authorizer === "iam"
          ? 'The operator console is not served by this stack: lethe:apiAuthorizer is "iam" (SigV4), which a browser cannot sign. Set lethe:apiAuthorizer to "cognito" with lethe:apiConsoleCognitoDomain and lethe:apiConsoleCognitoClientId to serve it (docs/console.md); `lethe api --local` serves it locally.'
          : "The operator console is not served by this stack: it needs lethe:apiConsoleCognitoDomain and lethe:apiConsoleCognitoClientId (a hosted UI and a public app client of the pool; docs/console.md).",
        this,
      );
    const parent = { parent: this };
    const region = aws.getRegionOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const identity = aws.getCallerIdentityOutput({}, parent);

    this.linkKey = new ApprovalLinkKey(`${name}-links`, { tags: args.tags }, parent);
    const f = args.functionNames;
    const dlqs = pulumi.output(args.deadLetterQueues);
    const dlqArns = dlqs.apply((m) =>
      Object.keys(m)
        .sort()
        .map((n) => m[n].arn),
    );
    const dlqUrls = dlqs.apply((m) =>
      JSON.stringify(
        Object.fromEntries(
          Object.keys(m)
            .sort()
            .map((n) => [n, m[n].url]),
        ),
      ),
    );
    const functionArn = (fn: ConsoleFunction) =>
      pulumi.interpolate`arn:${partition.partition}:lambda:${region.region}:${identity.accountId}:function:${f[fn]}`;

    this.api = new LetheFunction(
      `${name}-function`,
      {
        ...declared("api"),
        description: "The HTTP API: each route calls the console function behind it; approval-link pages",
        callbackFactory: apiFactory,
        statements: pulumi
          .all([
            pulumi
              .all([
                functionArn("request"),
                functionArn("status"),
                functionArn("cancel"),
                functionArn("approval"),
                functionArn("opt-in"),
                functionArn("batch"),
                args.requestsTableArn,
                args.ledgerTableArn,
                this.linkKey.arn,
                args.reportBucketArn,
                args.reportSigningKeyArn,
                args.errorsTableArn,
              ])
              .apply(
                ([
                  request,
                  status,
                  cancel,
                  approval,
                  optIn,
                  batch,
                  requests,
                  ledger,
                  linkKey,
                  reportBucket,
                  signingKey,
                  errors,
                ]): PolicyStatement[] => [
                  {
                    Sid: "CallConsoleFunctions",
                    Effect: "Allow",
                    Action: "lambda:InvokeFunction",
                    Resource: [request, status, cancel, approval, optIn, batch],
                  },
                  {
                    Sid: "ListRequestsByStatus",
                    Effect: "Allow",
                    Action: "dynamodb:Query",
                    Resource: `${requests}/index/${byStatusIndex}`,
                  },
                  { Sid: "ReadBatches", Effect: "Allow", Action: "dynamodb:GetItem", Resource: ledger },
                  { Sid: "CheckApprovalLinks", Effect: "Allow", Action: "kms:VerifyMac", Resource: linkKey },
                  {
                    Sid: "ReadReports",
                    Effect: "Allow",
                    Action: "s3:GetObject",
                    Resource: `${reportBucket}/${reportKey("*")}`,
                  },
                  { Sid: "ReadLastFailures", Effect: "Allow", Action: "dynamodb:Scan", Resource: errors },
                  {
                    Sid: "CheckReportSignatures",
                    Effect: "Allow",
                    Action: "kms:GetPublicKey",
                    Resource: signingKey,
                  },
                ],
              ),
            dlqArns,
          ])
          .apply(([statements, deadLetterQueues]): PolicyStatement[] => [
            ...statements,
            ...(deadLetterQueues.length
              ? [
                  {
                    Sid: "ReadDeadLetterQueueDepths",
                    Effect: "Allow" as const,
                    Action: "sqs:GetQueueAttributes",
                    Resource: deadLetterQueues,
                  },
                ]
              : []),
          ]),
        environment: {
          [envNames.requestsTable]: args.requestsTableName,
          [envNames.ledgerTable]: args.ledgerTableName,
          [envNames.requestFunction]: f.request,
          [envNames.statusFunction]: f.status,
          [envNames.cancelFunction]: f.cancel,
          [envNames.approvalFunction]: f.approval,
          [envNames.optInFunction]: f["opt-in"],
          [envNames.batchFunction]: f.batch,
          [envNames.approvalLinkKeyArn]: this.linkKey.arn,
          [envNames.reportBucket]: args.reportBucketName,
          [envNames.errorsTable]: args.errorsTableName,
          [envNames.reportSigningKeyArn]: args.reportSigningKeyArn,
          [envNames.deadLetterQueues]: dlqUrls,
          ...(args.consoleSignIn ? { [envNames.consoleSignIn]: JSON.stringify(args.consoleSignIn) } : {}),
        },
        kmsKeyArn: args.kmsKeyArn,
        kmsViaServices: ["dynamodb", "s3"],
        logRetentionDays: args.logRetentionDays,
        tags: args.tags,
      },
      parent,
    );

    const apiName = `lethe-${pulumi.getStack()}-api`;
    this.restApi = new aws.apigateway.RestApi(
      `${name}-rest`,
      {
        name: apiName,
        description: "Lethe: erasure requests and approvals",
        endpointConfiguration: { types: "REGIONAL" },
        body: pulumi
          .all([this.api.arn, region.region, partition.partition])
          .apply(([functionArn, regionName, part]) =>
            JSON.stringify(
              deployedDocument({
                functionArn,
                region: regionName,
                partition: part,
                authorizer: args.authorizer,
                cognitoUserPoolArn: args.cognitoUserPoolArn,
                title: apiName,
              }),
            ),
          ),
        tags: args.tags,
      },
      parent,
    );

    new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: this.api.function.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${this.restApi.executionArn}/*/*/*`,
      },
      parent,
    );

    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      {
        restApi: this.restApi.id,
        // A new deployment whenever the routes change.
        triggers: { body: this.restApi.body.apply((b) => hash(b ?? "")) },
      },
      { parent: this },
    );

    this.accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      {
        name: `/aws/apigateway/${apiName}/${apiStageName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags: args.tags,
      },
      parent,
    );

    this.stage = new aws.apigateway.Stage(
      `${name}-stage`,
      {
        restApi: this.restApi.id,
        deployment: deployment.id,
        stageName: apiStageName,
        // X-Ray: each API call starts the trace the functions it invokes continue.
        xrayTracingEnabled: true,
        // Route, status and caller; never a path, query or body (they may hold ids).
        accessLogSettings: {
          destinationArn: this.accessLogs.arn,
          format: JSON.stringify({
            requestId: "$context.requestId",
            time: "$context.requestTime",
            method: "$context.httpMethod",
            route: "$context.resourcePath",
            status: "$context.status",
            latencyMs: "$context.responseLatency",
            caller: "$context.identity.userArn",
            sourceIp: "$context.identity.sourceIp",
            error: "$context.error.responseType",
          }),
        },
        tags: args.tags,
      },
      parent,
    );

    new aws.apigateway.MethodSettings(
      `${name}-throttle`,
      {
        restApi: this.restApi.id,
        stageName: this.stage.stageName,
        methodPath: "*/*",
        settings: {
          throttlingRateLimit: args.throttle.rateLimit,
          throttlingBurstLimit: args.throttle.burstLimit,
          metricsEnabled: true,
          // Execution logs would hold request bodies (customer IDs): access logs only.
          loggingLevel: "OFF",
          dataTraceEnabled: false,
        },
      },
      parent,
    );

    if (args.waf) {
      this.webAcl = new aws.wafv2.WebAcl(
        `${name}-waf`,
        {
          name: `${apiName}-waf`,
          scope: "REGIONAL",
          defaultAction: { allow: {} },
          visibilityConfig: {
            cloudwatchMetricsEnabled: true,
            metricName: `${apiName}-waf`,
            sampledRequestsEnabled: false,
          },
          rules: [
            {
              name: "aws-common",
              priority: 0,
              overrideAction: { none: {} },
              statement: {
                managedRuleGroupStatement: {
                  vendorName: "AWS",
                  name: "AWSManagedRulesCommonRuleSet",
                  // A request of 10,000 IDs is larger than the rule set's 8 KB body limit: count, not block.
                  ruleActionOverrides: [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }],
                },
              },
              visibilityConfig: {
                cloudwatchMetricsEnabled: true,
                metricName: `${apiName}-common`,
                sampledRequestsEnabled: false,
              },
            },
            {
              name: "rate-per-ip",
              priority: 1,
              action: { block: {} },
              statement: {
                rateBasedStatement: {
                  limit: Math.max(100, args.throttle.rateLimit * 300),
                  aggregateKeyType: "IP",
                },
              },
              visibilityConfig: {
                cloudwatchMetricsEnabled: true,
                metricName: `${apiName}-rate`,
                sampledRequestsEnabled: false,
              },
            },
          ],
          tags: args.tags,
        },
        parent,
      );
      new aws.wafv2.WebAclAssociation(
        `${name}-waf-association`,
        { resourceArn: this.stage.arn, webAclArn: this.webAcl.arn },
        parent,
      );
    }

    this.url = this.stage.invokeUrl;
    this.linkEnvironment = {
      [envNames.apiBaseUrl]: this.url,
      [envNames.approvalLinkKeyArn]: this.linkKey.arn,
      [envNames.approvalLinkTtlHours]: String(args.approvalLinkTtlHours),
    };
    this.registerOutputs({
      url: this.url,
      apiFunction: this.api.function.name,
      linkKeyArn: this.linkKey.arn,
    });
  }
}

function hash(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
