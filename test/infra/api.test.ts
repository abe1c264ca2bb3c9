// The HTTP API under mocks: a REST API whose imported routes are exactly the OpenAPI document's (the
// route table's), every route behind the API function, IAM (SigV4) by default and Cognito by config,
// the stage's throttling from config, access logs to a KMS-encrypted log group with retention, WAF
// only when configured, the approval-link key, and a least-privilege API function.
import { expect } from "chai";
import {
  buildLetheUnderMocks,
  mockAccount,
  mockIdentity,
  mockRegion,
  MockedProgram,
} from "../support/pulumiMocks";
import { configDefaults, ConfigError, validateConfig } from "../../infra/config";
import { openApiDocument } from "../../runtime/api/openapi";
import { envNames } from "../../runtime/contracts/env";

type Doc = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
  "x-amazon-apigateway-gateway-responses": Record<
    string,
    { statusCode: number; responseTemplates: Record<string, string> }
  >;
};

const routesOf = (doc: Pick<Doc, "paths">) =>
  Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();

describe("infra: the HTTP API (API Gateway REST)", () => {
  let p: MockedProgram;
  let doc: Doc;
  before(async () => {
    p = await buildLetheUnderMocks({
      apiThrottleRateLimit: 7,
      apiThrottleBurstLimit: 11,
      logRetentionDays: 30,
    });
    doc = JSON.parse(p.named("lethe-api-rest").inputs.body) as Doc;
  });

  it("declares exactly the routes of the OpenAPI document, each a Lambda proxy to the API function", () => {
    const documented = openApiDocument() as unknown as Doc;
    expect(routesOf(doc)).to.deep.equal(routesOf(documented));
    expect(routesOf(doc)).to.include.members([
      "POST /requests",
      "GET /requests",
      "GET /requests/{id}",
      "POST /requests/{id}/cancel",
      "POST /batches/{id}/approve",
      "POST /batches/{id}/reject",
      "GET /openapi.json",
    ]);
    for (const methods of Object.values(doc.paths))
      for (const op of Object.values(methods)) {
        const integration = op["x-amazon-apigateway-integration"] as Record<string, string>;
        expect(integration.type).to.equal("aws_proxy");
        expect(integration.uri).to.match(
          /:lambda:path\/2015-03-31\/functions\/arn:aws:lambda:.*:function:lethe-dev-api\/invocations$/,
        );
        expect(integration.uri.startsWith("arn:aws:apigateway:eu-west-1:")).to.equal(true);
      }
    const permission = p
      .ofType("aws:lambda/permission:Permission")
      .find((r) => r.name === "lethe-api-invoke")!;
    expect(permission.inputs).to.include({
      principal: "apigateway.amazonaws.com",
      function: "lethe-dev-api",
    });
  });

  it("authorises every caller route with IAM (SigV4) by default; approval links, the document and the console's files need none", () => {
    expect(doc.components.securitySchemes.caller["x-amazon-apigateway-authtype"]).to.equal("awsSigv4");
    for (const [path, methods] of Object.entries(doc.paths))
      for (const op of Object.values(methods)) {
        // The console's page and assets load before sign-in; every call they make is a caller route.
        const open =
          path.startsWith("/approval-links/") || path === "/openapi.json" || path.startsWith("/console");
        expect(op.security, path).to.deep.equal(open ? [] : [{ caller: [] }]);
      }
  });

  it("uses a Cognito user pool authoriser when configured", async () => {
    const pool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc123";
    const q = await buildLetheUnderMocks({ apiAuthorizer: "cognito", apiCognitoUserPoolArn: pool });
    const d = JSON.parse(q.named("lethe-api-rest").inputs.body) as Doc;
    expect(d.components.securitySchemes.caller).to.deep.include({
      "x-amazon-apigateway-authtype": "cognito_user_pools",
      "x-amazon-apigateway-authorizer": { type: "cognito_user_pools", providerARNs: [pool] },
    });
    expect(() => validateConfig({ ...configDefaults, apiAuthorizer: "cognito" })).to.throw(
      ConfigError,
      /apiCognitoUserPoolArn/,
    );
    expect(() => validateConfig({ ...configDefaults, apiAuthorizer: "jwt" })).to.throw(
      ConfigError,
      /apiAuthorizer/,
    );
  });

  it("throttles the stage from config, and the gateway's own refusals are {code, message} JSON", () => {
    const settings = p.named("lethe-api-throttle").inputs;
    expect(settings.methodPath).to.equal("*/*");
    expect(settings.settings).to.include({
      throttlingRateLimit: 7,
      throttlingBurstLimit: 11,
      dataTraceEnabled: false,
    });
    const responses = doc["x-amazon-apigateway-gateway-responses"];
    expect(responses.THROTTLED.statusCode).to.equal(429);
    expect(JSON.parse(responses.THROTTLED.responseTemplates["application/json"]).code).to.equal("throttled");
    expect(responses.REQUEST_TOO_LARGE.statusCode).to.equal(413);
    expect(p.outputs!.apiThrottle).to.deep.equal({ rateLimit: 7, burstLimit: 11 });
  });

  it("writes access logs (route and status, no path or body) to a KMS-encrypted log group with retention", () => {
    const stage = p.named("lethe-api-stage").inputs;
    const logs = p.named("lethe-api-access-logs").inputs;
    expect(logs.retentionInDays).to.equal(30);
    expect(logs.kmsKeyId).to.match(/^arn:aws:kms:/);
    expect(stage.accessLogSettings.destinationArn).to.match(
      /log-group:\/aws\/apigateway\/lethe-dev-api\/v1$/,
    );
    const format = JSON.parse(stage.accessLogSettings.format);
    expect(format).to.include({ route: "$context.resourcePath", status: "$context.status" });
    expect(JSON.stringify(format)).not.to.match(/\$context\.path|requestBody|querystring/i);
    expect(p.outputs!.apiUrl).to.match(/^https:\/\/.+\.execute-api\.eu-west-1\.amazonaws\.com\/v1$/);
  });

  it("puts a WAF web ACL in front of the stage only when configured", async () => {
    expect(p.ofType("aws:wafv2/webAcl:WebAcl")).to.have.length(0);
    const q = await buildLetheUnderMocks({ apiWaf: true });
    const [acl] = q.ofType("aws:wafv2/webAcl:WebAcl");
    expect(acl.inputs.scope).to.equal("REGIONAL");
    const [association] = q.ofType("aws:wafv2/webAclAssociation:WebAclAssociation");
    expect(association.inputs.resourceArn).to.match(/\/stages\/v1$/);
  });

  it("gives the API function only the calls it makes: invoke the six console functions (batch for retry), query byStatus, read batches, verify link MACs", () => {
    const statements = JSON.parse(p.named("lethe-api-function-policy").inputs.policy).Statement as {
      Sid: string;
      Action: string | string[];
      Resource: string | string[];
    }[];
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(
      [bySid.CallConsoleFunctions.Resource]
        .flat()
        .map((a) => a.split(":").pop())
        .sort(),
    ).to.deep.equal([
      "lethe-dev-approval",
      "lethe-dev-batch",
      "lethe-dev-cancel",
      "lethe-dev-opt-in",
      "lethe-dev-request",
      "lethe-dev-status",
    ]);
    expect(bySid.ListRequestsByStatus.Resource).to.match(/:table\/.+\/index\/byStatus$/);
    expect(bySid.CheckApprovalLinks).to.include({ Action: "kms:VerifyMac" });
    const keys = p.ofType("aws:kms/key:Key").filter((k) => k.name === "lethe-api-links-key");
    expect(keys[0].inputs).to.include({ customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC" });
    const env = p.named("lethe-api-function-function").inputs.environment.variables;
    expect(env[envNames.requestFunction]).to.equal("lethe-dev-request");
    expect(env[envNames.batchFunction]).to.equal("lethe-dev-batch");
    expect(env[envNames.approvalLinkKeyArn]).to.equal(bySid.CheckApprovalLinks.Resource);
    // The console's reports: read only, under reports/, and the signing key's public half only.
    expect(bySid.ReadReports).to.include({ Action: "s3:GetObject" });
    expect(bySid.ReadReports.Resource).to.match(/^arn:aws:s3:::.+\/reports\/request_id=\*\/report\.json$/);
    expect(bySid.CheckReportSignatures).to.include({ Action: "kms:GetPublicKey" });
    expect(bySid.ReadLastFailures).to.include({ Action: "dynamodb:Scan" });
    expect(bySid.ReadLastFailures.Resource).to.match(/^arn:aws:dynamodb:[^:]+:\d+:table\/.*errors/i);
    expect(env[envNames.reportSigningKeyArn]).to.equal(bySid.CheckReportSignatures.Resource);
    expect(env[envNames.reportBucket]).to.be.a("string");
    expect(env[envNames.consoleSignIn]).to.equal(undefined);
  });

  it("lets the API function read the depth of exactly the DLQs the operations page shows (GetQueueAttributes, nothing else on SQS)", () => {
    const statements = JSON.parse(p.named("lethe-api-function-policy").inputs.policy).Statement as {
      Sid: string;
      Action: string | string[];
      Resource: string | string[];
    }[];
    const env = p.named("lethe-api-function-function").inputs.environment.variables;
    const shown = JSON.parse(env[envNames.deadLetterQueues]) as Record<string, string>;
    const queueArn = (name: string) => mockIdentity("aws:sqs/queue:Queue", name).arn;
    const queueUrl = (name: string) =>
      `https://sqs.${mockRegion}.amazonaws.com/${mockAccount}/${mockIdentity("aws:sqs/queue:Queue", name).name}`;
    // Every DLQ of the stack (all its queues but the purge queue; no store is configured here), each by
    // the dashboard's name; those of functions declared after the API too (the workflow's, the operators', the API's own).
    const expected: Record<string, string> = {
      "purge-queue": "lethe-purge-dlq",
      "purge-function": "lethe-forget-purge-dlq",
      "find-function": "lethe-find-function-dlq",
      "api-function": "lethe-api-function-dlq",
      "report-function": "lethe-tasks-report-dlq",
      "deadline-function": "lethe-operations-deadline-dlq",
    };
    for (const [name, logical] of Object.entries(expected)) {
      p.named(logical);
      expect(shown[name], name).to.equal(queueUrl(logical));
    }
    const everyDlq = p
      .ofType("aws:sqs/queue:Queue")
      .filter((q) => q.name !== "lethe-purge-queue")
      .map((q) => queueUrl(q.name));
    expect(everyDlq.length).to.be.greaterThan(15);
    expect(Object.values(shown).sort()).to.deep.equal(everyDlq.sort());
    const dashboard = p.ofType("aws:cloudwatch/dashboard:Dashboard")[0].inputs.dashboardBody as string;
    for (const name of Object.keys(shown)) expect(dashboard, name).to.include(name);
    const read = statements.filter((st) => st.Sid === "ReadDeadLetterQueueDepths");
    expect(read).to.have.length(1);
    expect(read[0].Action).to.equal("sqs:GetQueueAttributes");
    const queueArns = new Set(p.ofType("aws:sqs/queue:Queue").map((q) => queueArn(q.name)));
    const byUrl = Object.fromEntries(
      p.ofType("aws:sqs/queue:Queue").map((q) => [queueUrl(q.name), queueArn(q.name)]),
    );
    expect([read[0].Resource].flat().sort()).to.deep.equal(
      Object.values(shown)
        .map((u) => byUrl[u])
        .sort(),
    );
    for (const arn of [read[0].Resource].flat()) expect(queueArns.has(arn), arn).to.equal(true);
    // Its own DLQ it may only send to; no other SQS action, no wildcard.
    const sqsActions = statements.flatMap((st) =>
      [st.Action]
        .flat()
        .filter((a) => a.startsWith("sqs:"))
        .map((a) => `${st.Sid} ${a}`),
    );
    expect(sqsActions.sort()).to.deep.equal([
      "ReadDeadLetterQueueDepths sqs:GetQueueAttributes",
      "SendDeadLetters sqs:SendMessage",
    ]);
    expect(JSON.stringify(read[0].Resource)).to.not.include("*");
  });

  it("leaves the stores' DLQs to the dashboard, so the API function's environment stays under Lambda's 4 KB", async () => {
    const stores = ["profiles", "orders", "tickets"].map((name) => ({
      name,
      kind: "dynamodb" as const,
      owner: "crm@example.com",
      table: name,
      idAttribute: "customerId",
    }));
    const q = await buildLetheUnderMocks({ stores });
    const env = q.named("lethe-api-function-function").inputs.environment.variables as Record<string, string>;
    const shown = Object.keys(JSON.parse(env[envNames.deadLetterQueues]) as Record<string, string>);
    expect(shown).to.include.members(["purge-queue", "api-function", "request-function"]);
    expect(shown.filter((k) => k.startsWith("store-"))).to.deep.equal([]);
    const dashboard = q.ofType("aws:cloudwatch/dashboard:Dashboard")[0].inputs.dashboardBody as string;
    expect(dashboard).to.include("store-profiles-function");
    const bytes = Object.entries(env).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    expect(bytes).to.be.lessThan(3500);
  });

  it("says at preview that the console is not served with the IAM authoriser; with Cognito sign-in it is, and says nothing", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const warnings: string[] = [];
    const warn = pulumi.log.warn;
    pulumi.log.warn = async (message: string) => void warnings.push(message);
    try {
      await buildLetheUnderMocks({});
      expect(warnings.filter((w) => w.includes("operator console"))).to.have.length(1);
      expect(warnings.join("\n")).to.match(
        /console is not served by this stack: lethe:apiAuthorizer is "iam"/,
      );
      warnings.length = 0;
      const signIn = {
        domain: "https://lethe-example.auth.eu-west-1.amazoncognito.com",
        clientId: "5abc2def3ghi4jkl5mno6pqr7s",
      };
      const q = await buildLetheUnderMocks({
        apiAuthorizer: "cognito",
        apiCognitoUserPoolArn: "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc123",
        apiConsoleCognitoDomain: signIn.domain,
        apiConsoleCognitoClientId: signIn.clientId,
      });
      expect(warnings.filter((w) => w.includes("operator console"))).to.deep.equal([]);
      const env = q.named("lethe-api-function-function").inputs.environment.variables;
      expect(JSON.parse(env[envNames.consoleSignIn])).to.deep.equal(signIn);
    } finally {
      pulumi.log.warn = warn;
    }
    expect(() =>
      validateConfig({
        ...configDefaults,
        apiConsoleCognitoDomain: "https://x.auth.eu-west-1.amazoncognito.com",
      }),
    ).to.throw(ConfigError, /apiConsoleCognitoClientId/);
  });
});
