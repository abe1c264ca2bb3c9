// The forget step's functions under mocks: sizes and batch size from config, SQS sources reporting
// partial failures, least-privilege roles (objects only under the mappers' locations, only the tables
// they use, the stack key only through named services), DLQ alarms and outputs.
import { expect } from "chai";
import { buildLetheUnderMocks, mockIdentity, MockedProgram, RecordedResource } from "../support/pulumiMocks";
import { configDefaults, ConfigError, validateConfig } from "../../infra/config";
import { eventsTable } from "../../runtime/contracts/lakeSchema";
import { envNames } from "../../runtime/contracts/env";

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const statements = (p: MockedProgram, name: string): Statement[] =>
  JSON.parse(p.named(`${name}-policy`).inputs.policy).Statement;
const actions = (s: Statement) => [s.Action].flat();
const resources = (s: Statement) => [s.Resource].flat();

describe("infra: purge workers (purge and errors functions)", () => {
  let p: MockedProgram;
  let lakeBucket: string;
  before(async () => {
    p = await buildLetheUnderMocks({
      purgeFunctionMemoryMb: 3008,
      purgeFunctionTimeoutSeconds: 700,
      purgeFunctionReservedConcurrency: 7,
      purgeBatchSize: 3,
    });
    lakeBucket = mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-data").name;
  });

  const fn = (name: string): RecordedResource => p.named(`${name}-function`);

  it("sizes the purge function from config and feeds it the purge queue, reporting partial failures", () => {
    const purge = fn("lethe-forget-purge");
    expect(purge.inputs).to.include({
      name: "lethe-dev-purge",
      memorySize: 3008,
      timeout: 700,
      reservedConcurrentExecutions: 7,
      runtime: "nodejs22.x",
    });
    const env = purge.inputs.environment.variables;
    expect(Number(env[envNames.purgeMaxObjectBytes])).to.equal((3008 * 1024 * 1024) / 4);
    expect(
      Number(env[envNames.purgeLockWaitSeconds]) + Number(env[envNames.purgeWorkReserveSeconds]),
    ).to.be.below(700);
    const mappers = JSON.parse(env[envNames.dataMappers]);
    expect(mappers).to.deep.equal([
      {
        name: "events",
        glueDatabase: mappers[0].glueDatabase,
        glueTable: mappers[0].glueTable,
        location: `s3://${lakeBucket}/${eventsTable.prefix}`,
        idColumns: [eventsTable.idColumn],
        format: "parquet",
        partitionColumns: ["dt"],
      },
    ]);
    const source = p.named("lethe-forget-purge-source").inputs;
    expect(source.batchSize).to.equal(3);
    expect(source.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
    expect(source.eventSourceArn).to.equal(mockIdentity("aws:sqs/queue:Queue", "lethe-purge-queue").arn);
    const errorsSource = p.named("lethe-forget-errors-source").inputs;
    expect(errorsSource.eventSourceArn).to.equal(mockIdentity("aws:sqs/queue:Queue", "lethe-purge-dlq").arn);
    expect(errorsSource.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
    // Lambda requires the source queue's visibility timeout to cover the function's timeout.
    const queue = p.named("lethe-purge-queue").inputs;
    expect(queue.visibilityTimeoutSeconds).to.be.greaterThan(700);
    const dlq = p.named("lethe-purge-dlq").inputs;
    expect(dlq.visibilityTimeoutSeconds ?? 30).to.be.at.least(fn("lethe-forget-errors").inputs.timeout);
  });

  it("lets the purge role rewrite objects only under the mappers' locations and read only the manifests", () => {
    const s3 = statements(p, "lethe-forget-purge").filter((s) => actions(s).some((a) => a.startsWith("s3:")));
    const objectResources = s3.filter((s) => !s.Condition).flatMap(resources);
    expect(objectResources.sort()).to.deep.equal(
      [
        `arn:aws:s3:::${lakeBucket}/${eventsTable.prefix}*`,
        `arn:aws:s3:::${lakeBucket}/erasure-manifests/*`,
      ].sort(),
    );
    const manifests = s3.find((s) =>
      resources(s).includes(`arn:aws:s3:::${lakeBucket}/erasure-manifests/*`),
    )!;
    expect(actions(manifests).sort()).to.deep.equal(["s3:GetObject", "s3:GetObjectVersion"]);
    for (const listing of s3.filter((s) => s.Condition)) {
      expect(resources(listing)).to.deep.equal([`arn:aws:s3:::${lakeBucket}`]);
      expect(listing.Condition!.StringLike["s3:prefix"]).to.be.oneOf([
        `${eventsTable.prefix}*`,
        "erasure-manifests/*",
      ]);
    }
    expect(s3.flatMap(actions)).to.not.include("s3:DeleteObject"); // versions are deleted by id only
  });

  it("gives each role only the tables it uses and the stack key only through kms:ViaService", () => {
    const tableArn = (role: string) => mockIdentity("aws:dynamodb/table:Table", `lethe-tables-${role}`).arn;
    const dynamo = (name: string) =>
      statements(p, name)
        .filter((s) => actions(s).some((a) => a.startsWith("dynamodb:")))
        .flatMap(resources)
        .map((r) => r.replace(/\/index\/\*$/, ""));
    expect([...new Set(dynamo("lethe-forget-purge"))].sort()).to.deep.equal(
      [tableArn("locks"), tableArn("ledger"), tableArn("index")].sort(),
    );
    expect([...new Set(dynamo("lethe-forget-errors"))].sort()).to.deep.equal(
      [tableArn("errors"), tableArn("ledger")].sort(),
    );
    for (const name of ["lethe-forget-purge", "lethe-forget-errors"]) {
      const all = statements(p, name);
      for (const s of all) for (const a of actions(s)) expect(a).to.not.match(/\*/);
      const kms = all.filter((s) => actions(s).some((a) => a.startsWith("kms:")));
      expect(kms).to.have.length(1);
      const via = [kms[0].Condition?.StringEquals?.["kms:ViaService"]].flat();
      expect(via).to.include("sqs.eu-west-1.amazonaws.com").and.include("dynamodb.eu-west-1.amazonaws.com");
    }
    const purgeVia = statements(p, "lethe-forget-purge").find((s) => s.Sid === "UseStackKey")!;
    expect(purgeVia.Condition!.StringEquals["kms:ViaService"]).to.include("s3.eu-west-1.amazonaws.com");
    const errorsVia = statements(p, "lethe-forget-errors").find((s) => s.Sid === "UseStackKey")!;
    expect(errorsVia.Condition!.StringEquals["kms:ViaService"]).to.include("sns.eu-west-1.amazonaws.com");
    expect(statements(p, "lethe-forget-errors").find((s) => s.Sid === "Alert")!.Resource).to.equal(
      mockIdentity("aws:sns/topic:Topic", "lethe-alerts-topic").arn,
    );
  });

  it("alarms on both functions' own dead-letter queues", () => {
    const alarms = p.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.name);
    expect(alarms).to.include.members([
      "lethe-alerts-purge-dlq-not-empty",
      "lethe-alerts-purge-function-dlq-not-empty",
      "lethe-alerts-purge-errors-function-dlq-not-empty",
    ]);
  });

  it("grants the purge role kms:GenerateMac on the subject hash key only when a mapper masks rows", async () => {
    const hashKey = mockIdentity("aws:kms/key:Key", "lethe-subject-hash-key").arn;
    const mac = (q: MockedProgram) =>
      statements(q, "lethe-forget-purge").filter((s) => actions(s).some((a) => a.includes("Mac")));
    expect(mac(p), "no mask mapper").to.deep.equal([]);
    const masking = await buildLetheUnderMocks({
      dataMappers: [
        ...configDefaults.dataMappers,
        {
          name: "visits",
          glueDatabase: "crm",
          glueTable: "visits",
          location: "s3://crm-lake/visits/",
          idColumns: ["customer_id"],
          format: "jsonl",
          strategy: "mask",
          mask: { columns: { customer_id: "hash", email: "null" } },
        },
      ],
    });
    expect(mac(masking).map((s) => [actions(s), s.Resource])).to.deep.equal([[["kms:GenerateMac"], hashKey]]);
    expect(masking.named("lethe-forget-purge-function").inputs.environment.variables).to.include({
      [envNames.subjectHashKeyArn]: hashKey,
    });
  });

  it("rejects a purge queue visibility timeout that does not exceed the function timeout, naming both", () => {
    expect(() =>
      validateConfig({
        ...configDefaults,
        purgeFunctionTimeoutSeconds: 900,
        purgeQueueVisibilityTimeoutSeconds: 900,
      }),
    ).to.throw(
      ConfigError,
      /purgeQueueVisibilityTimeoutSeconds: must be longer than lethe:purgeFunctionTimeoutSeconds \(900\)/,
    );
    expect(() => validateConfig({ ...configDefaults, purgeBatchSize: 11 })).to.throw(
      ConfigError,
      /purgeBatchSize/,
    );
  });
});
