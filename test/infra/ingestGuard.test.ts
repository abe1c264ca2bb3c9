// The ingest guard's resources under Pulumi mocks: least-privilege roles, dead-letter queues with
// alarms, encrypted log groups, the schedule, and the Firehose processing configuration.
import { expect } from "chai";
import {
  buildLetheUnderMocks,
  installPulumiMocks,
  mockIdentity,
  MockedProgram,
} from "../support/pulumiMocks";
import { configDefaults, ConfigError, LetheConfig, validateConfig } from "../../infra/config";
import { assertNamedActions, LetheFunction, PolicyStatement } from "../../infra/components/letheFunction";

const build = (overrides: Partial<LetheConfig> = {}) => buildLetheUnderMocks(overrides);

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

const statements = (p: MockedProgram, name: string): Statement[] =>
  JSON.parse(p.named(`${name}-policy`).inputs.policy).Statement;
const actions = (s: Statement[]) => s.flatMap((x) => [x.Action].flat()).sort();

describe("infra: ingest guard functions under mocks", () => {
  let p: MockedProgram;
  before(async () => {
    p = await build();
  });

  it("deploys both functions on nodejs22.x with their own roles and no managed policies", () => {
    const fns = p
      .ofType("aws:lambda/function:Function")
      .filter((f) => ["lethe-dev-filter-builder", "lethe-dev-ingest-guard"].includes(f.inputs.name));
    expect(fns).to.have.length(2);
    for (const f of fns) {
      expect(f.inputs.runtime).to.equal("nodejs22.x");
      expect(f.inputs.handler).to.equal("__index.handler");
      expect(f.inputs.role).to.match(/lethe-guard-(builder|transformer)-role/);
      expect(f.inputs.kmsKeyArn).to.match(/^arn:aws:kms:/);
      expect(f.inputs.tags.gdpr).to.equal("true");
    }
    expect(p.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
    const trust = JSON.parse(p.named("lethe-guard-builder-role").inputs.assumeRolePolicy).Statement[0];
    expect(trust.Principal.Service).to.equal("lambda.amazonaws.com");
    expect(trust.Condition.StringEquals["aws:SourceAccount"]).to.equal("123456789012");
  });

  it("grants each function only the actions it uses, on our table, key, log group and filter prefix", () => {
    const builder = statements(p, "lethe-guard-builder");
    const transformer = statements(p, "lethe-guard-transformer");
    expect(actions(builder)).to.deep.equal(
      [
        "dynamodb:Scan",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:GenerateMac",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
        "sqs:SendMessage",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
      ].sort(),
    );
    expect(actions(transformer)).to.deep.equal(
      [
        "dynamodb:BatchGetItem",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:GetObject",
        "s3:ListBucket",
        "sqs:SendMessage",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
      ].sort(),
    );
    for (const s of [...builder, ...transformer]) {
      for (const a of [s.Action].flat()) expect(a).to.not.match(/\*/);
      // Only X-Ray's resource-less actions are granted on "*".
      if ([s.Resource].flat().includes("*"))
        expect(s.Action).to.deep.equal(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]);
    }
    const logs = transformer.find((s) => s.Sid === "WriteOwnLogs")!;
    expect(logs.Resource).to.equal(
      "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/lethe-dev-ingest-guard:*",
    );
    const objects = builder.find((s) => s.Sid === "PublishFilterGenerations")!;
    expect(objects.Resource).to.equal(
      `${mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-data").arn}/ingest-guard/opt-out-filter/*`,
    );
    expect(transformer.find((s) => s.Sid === "ConfirmOptOuts")!.Resource).to.match(/lethe-tables-optOut/);
  });

  it("sends failed async invocations to an encrypted, TLS-only dead-letter queue that raises an alarm", () => {
    for (const [fn, label] of [
      ["lethe-guard-builder", "filter-builder"],
      ["lethe-guard-transformer", "ingest-guard"],
    ]) {
      const dlq = p.named(`${fn}-dlq`).inputs;
      expect(dlq.kmsMasterKeyId).to.match(/^arn:aws:kms:/);
      expect(
        JSON.parse(p.named(`${fn}-dlq-tls-only`).inputs.policy).Statement[0].Condition.Bool,
      ).to.deep.equal({
        "aws:SecureTransport": "false",
      });
      const f = p.named(`${fn}-function`).inputs;
      expect(f.deadLetterConfig.targetArn).to.equal(mockIdentity("aws:sqs/queue:Queue", `${fn}-dlq`).arn);
      const alarm = p.named(`lethe-alerts-${label}-dlq-not-empty`).inputs;
      expect(alarm.dimensions.QueueName).to.equal(mockIdentity("aws:sqs/queue:Queue", `${fn}-dlq`).name);
      expect(alarm.alarmActions).to.have.length(1);
    }
  });

  it("logs as JSON into its own KMS-encrypted log group with the configured retention", () => {
    for (const [fn, name] of [
      ["lethe-guard-builder", "lethe-dev-filter-builder"],
      ["lethe-guard-transformer", "lethe-dev-ingest-guard"],
    ]) {
      const group = p.named(`${fn}-logs`).inputs;
      expect(group.name).to.equal(`/aws/lambda/${name}`);
      expect(group.retentionInDays).to.equal(configDefaults.logRetentionDays);
      expect(group.kmsKeyId).to.match(/^arn:aws:kms:/);
      expect(p.named(`${fn}-function`).inputs.loggingConfig).to.deep.equal({
        logFormat: "JSON",
        logGroup: group.name,
      });
    }
  });

  it("runs the builder on the configured schedule, one at a time, with the filter settings in its environment", () => {
    const rule = p.named("lethe-guard-build-schedule").inputs;
    expect(rule.scheduleExpression).to.equal("rate(15 minutes)");
    const target = p.named("lethe-guard-build-target").inputs;
    expect(target.arn).to.match(/lethe-dev-filter-builder$/);
    const permission = p.named("lethe-guard-build-permission").inputs;
    expect(permission).to.include({ action: "lambda:InvokeFunction", principal: "events.amazonaws.com" });
    expect(permission.sourceArn).to.match(/lethe-guard-build-schedule/);
    const builder = p.named("lethe-guard-builder-function").inputs;
    expect(builder.reservedConcurrentExecutions).to.equal(1);
    expect(builder.environment.variables).to.include({
      LETHE_FILTER_FALSE_POSITIVE_RATE: "0.0001",
      LETHE_FILTER_PREFIX: "ingest-guard/opt-out-filter/",
      LETHE_OPT_OUT_TABLE: mockIdentity("aws:dynamodb/table:Table", "lethe-tables-optOut").name,
      LETHE_FILTER_BUCKET: mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-data").name,
    });
    const transformer = p.named("lethe-guard-transformer-function").inputs.environment.variables;
    expect(transformer).to.include({
      LETHE_FILTER_REFRESH_SECONDS: "60",
      LETHE_CONFIRM_CACHE_TTL_SECONDS: "300",
      LETHE_CONFIRM_CACHE_MAX_ENTRIES: "100000",
    });
  });

  it("puts the transformer in front of the stream's Parquet conversion, with the configured buffering", () => {
    const fh = p.ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")[0].inputs;
    const proc = fh.extendedS3Configuration.processingConfiguration;
    expect(proc.enabled).to.equal(true);
    const params = Object.fromEntries(
      proc.processors[0].parameters.map((x: { parameterName: string; parameterValue: string }) => [
        x.parameterName,
        x.parameterValue,
      ]),
    );
    expect(proc.processors[0].type).to.equal("Lambda");
    expect(params).to.deep.equal({
      LambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:lethe-dev-ingest-guard:$LATEST",
      BufferIntervalInSeconds: "60",
      BufferSizeInMBs: "1",
    });
    const firehose = JSON.parse(p.named("lethe-ingest-policy").inputs.policy).Statement;
    expect(firehose.flatMap((s: Statement) => [s.Action].flat())).to.include("lambda:InvokeFunction");
  });
});

describe("infra: the ingest guard's staleness bound", () => {
  it("passes ingestFilterMaxStalenessSeconds to the transformer and alarms on its FilterStale metric", async () => {
    const defaults = await build();
    expect(
      defaults.named("lethe-guard-transformer-function").inputs.environment.variables
        .LETHE_FILTER_MAX_STALENESS_SECONDS,
    ).to.equal(String(configDefaults.ingestFilterMaxStalenessSeconds));
    const p = await build({ ingestFilterMaxStalenessSeconds: 120 });
    const env = p.named("lethe-guard-transformer-function").inputs.environment.variables;
    expect(env.LETHE_FILTER_MAX_STALENESS_SECONDS).to.equal("120");
    const alarm = p.named("lethe-alerts-ingest-guard-filter-stale").inputs;
    expect(alarm).to.include({
      namespace: "Lethe",
      metricName: "FilterStale",
      statistic: "Maximum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    // Powertools Metrics publishes with the service name as its one dimension.
    expect(alarm.dimensions).to.deep.equal({ service: env.POWERTOOLS_SERVICE_NAME });
    expect(alarm.alarmActions).to.deep.equal([mockIdentity("aws:sns/topic:Topic", "lethe-alerts-topic").arn]);
    expect(() => validateConfig({ ...configDefaults, ingestFilterMaxStalenessSeconds: -1 })).to.throw(
      ConfigError,
      /lethe:ingestFilterMaxStalenessSeconds/,
    );
  });
});

describe("infra: ingest guard configuration", () => {
  it("flows the schedule, rate, cache and buffering settings into the resources", async () => {
    const p = await build({
      ingestFilterBuildSchedule: "cron(0/5 * * * ? *)",
      ingestFilterFalsePositivesPerMillion: 10,
      ingestFilterRefreshSeconds: 15,
      ingestConfirmCacheTtlSeconds: 30,
      ingestConfirmCacheMaxEntries: 5000,
      ingestProcessorBufferingIntervalSeconds: 120,
      ingestProcessorBufferingSizeMb: 3,
      logRetentionDays: 14,
    });
    expect(p.named("lethe-guard-build-schedule").inputs.scheduleExpression).to.equal("cron(0/5 * * * ? *)");
    expect(
      p.named("lethe-guard-builder-function").inputs.environment.variables.LETHE_FILTER_FALSE_POSITIVE_RATE,
    ).to.equal("0.00001");
    expect(p.named("lethe-guard-transformer-function").inputs.environment.variables).to.include({
      LETHE_FILTER_REFRESH_SECONDS: "15",
      LETHE_CONFIRM_CACHE_TTL_SECONDS: "30",
      LETHE_CONFIRM_CACHE_MAX_ENTRIES: "5000",
    });
    const params = p
      .ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")[0]
      .inputs.extendedS3Configuration.processingConfiguration.processors[0].parameters.map(
        (x: { parameterValue: string }) => x.parameterValue,
      );
    expect(params.slice(1)).to.deep.equal(["120", "3"]);
    expect(p.named("lethe-guard-transformer-logs").inputs.retentionInDays).to.equal(14);
  });

  for (const [setting, value, message] of [
    [
      "ingestFilterBuildSchedule",
      "every 5 minutes",
      /lethe:ingestFilterBuildSchedule: must be an EventBridge schedule/,
    ],
    ["ingestFilterFalsePositivesPerMillion", 0, /lethe:ingestFilterFalsePositivesPerMillion/],
    ["ingestProcessorBufferingSizeMb", 4, /lethe:ingestProcessorBufferingSizeMb/],
    ["ingestConfirmCacheTtlSeconds", 0, /lethe:ingestConfirmCacheTtlSeconds/],
  ] as const) {
    it(`rejects ${setting}=${JSON.stringify(value)}`, () => {
      expect(() => validateConfig({ ...configDefaults, [setting]: value })).to.throw(ConfigError, message);
    });
  }
});

describe("infra: LetheFunction", () => {
  it("refuses a wildcard action with a message naming it", () => {
    const named: PolicyStatement = {
      Effect: "Allow",
      Action: ["s3:GetObject", "kms:GenerateDataKey*"],
      Resource: "arn:aws:s3:::b/*",
    };
    expect(() => assertNamedActions("fn", [named])).to.not.throw();
    for (const action of ["s3:*", "*"]) {
      expect(() =>
        assertNamedActions("fn", [named, { Effect: "Allow", Action: action, Resource: "arn:aws:s3:::b/*" }]),
      ).to.throw(`fn: IAM action "${action}" is too broad`);
    }
  });

  it("names its function after the stack, within Lambda's 64 characters", () => {
    installPulumiMocks();
    expect(
      () =>
        new LetheFunction("x", {
          shortName: "a".repeat(60),
          description: "test",
          callbackFactory: () => async () => "ok",
          statements: [],
          memorySizeMb: 128,
          timeoutSeconds: 3,
          kmsKeyArn: "k",
          logRetentionDays: 1,
          tags: {},
        }),
    ).to.throw(/longer than 64 characters/);
  });
});
