// The retention function as the whole program declares it (createLethe under mocks): absent unless a
// data mapper declares retention; then on lethe:retentionSchedule, granted the retention mappers'
// locations only (not another mapper's), the locks and the ledger, its reports' prefix and kms:Sign
// on the report signing key; its handler starts from the environment the program gives it.
import { expect } from "chai";
import { buildLetheUnderMocks, mockIdentity, MockedProgram } from "../support/pulumiMocks";
import { configDefaults, ConfigError, validateConfig } from "../../infra/config";
import { envNames } from "../../runtime/contracts/env";
import { createRetentionHandler } from "../../runtime/handlers/retention";

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
}

const orders = {
  name: "orders",
  glueDatabase: "shop",
  glueTable: "orders",
  location: "s3://shop-lake/orders/",
  idColumns: ["customer_id"],
  format: "parquet" as const,
  partitionColumns: ["dt"],
  retention: { days: 400, timeColumn: "ordered_at" },
};
const clicks = { ...orders, name: "clicks", glueTable: "clicks", location: "s3://shop-lake/clicks/" };
delete (clicks as { retention?: unknown }).retention;

describe("infra: the retention function and its schedule", function () {
  this.timeout(120_000);
  let p: MockedProgram;

  before(async () => {
    p = await buildLetheUnderMocks({
      dataMappers: [...configDefaults.dataMappers, orders, clicks],
      retentionSchedule: "cron(30 2 * * ? *)",
    });
  });

  it("runs on lethe:retentionSchedule, its rule allowed to invoke it only", () => {
    const rule = p.named("lethe-retention-retention-schedule").inputs;
    expect(rule.scheduleExpression).to.equal("cron(30 2 * * ? *)");
    const permission = p.named("lethe-retention-retention-permission").inputs;
    expect(permission).to.include({ principal: "events.amazonaws.com", function: "lethe-dev-retention" });
    expect(permission.sourceArn).to.equal(
      mockIdentity("aws:cloudwatch/eventRule:EventRule", "lethe-retention-retention-schedule").arn,
    );
  });

  it("may rewrite only the retention mappers' locations, and signs its reports", () => {
    const statements = JSON.parse(p.named("lethe-retention-retention-policy").inputs.policy)
      .Statement as Statement[];
    const resources = statements.flatMap((s) => [s.Resource].flat());
    expect(resources).to.include("arn:aws:s3:::shop-lake/orders/*");
    expect(resources.some((r) => r.includes("clicks"))).to.equal(false);
    const sign = statements.find((s) => s.Sid === "SignReports")!;
    expect([sign.Action].flat()).to.deep.equal(["kms:Sign", "kms:GetPublicKey"]);
    const reports = statements.find((s) => s.Sid === "WriteRetentionReports")!;
    expect([reports.Action].flat()).to.deep.equal(["s3:PutObject"]);
    expect([reports.Resource].flat()[0]).to.match(/\/reports\/retention\/\*$/);
    for (const s of statements) for (const a of [s.Action].flat()) expect(a).not.to.include("*");
  });

  it("is given the retention mappers only, and its handler starts from that environment", () => {
    const env = p.named("lethe-retention-retention-function").inputs.environment.variables;
    const mappers = JSON.parse(env[envNames.dataMappers]);
    expect(mappers.map((m: { name: string }) => m.name)).to.deep.equal(["orders"]);
    expect(() => createRetentionHandler(env)).not.to.throw();
  });

  it("is not deployed when no data mapper declares retention; a bad rule or schedule is refused by name", async () => {
    const plain = await buildLetheUnderMocks();
    expect(plain.resources.filter((r) => r.name.startsWith("lethe-retention"))).to.deep.equal([]);
    expect(() => validateConfig({ ...configDefaults, retentionSchedule: "daily" })).to.throw(
      ConfigError,
      /lethe:retentionSchedule: must be an EventBridge schedule/,
    );
    const bad = (retention: unknown) => () =>
      validateConfig({
        ...configDefaults,
        dataMappers: [...configDefaults.dataMappers, { ...orders, retention } as typeof orders],
      });
    expect(bad({ days: 0 })).to.throw(ConfigError, /mapper "orders": retention days must be a whole number/);
    expect(bad({ days: 30, partitionColumn: "hour" })).to.throw(
      /partitionColumn must be one of partitionColumns/,
    );
    expect(bad({ days: 30, when: "x" })).to.throw(/unknown field "when"/);
    expect(() =>
      validateConfig({
        ...configDefaults,
        dataMappers: [
          ...configDefaults.dataMappers,
          { ...orders, partitionColumns: [], retention: { days: 30 } },
        ],
      }),
    ).to.throw(/needs a timeColumn, or a date partition column/);
  });
});
