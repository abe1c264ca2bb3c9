// The deployable artifacts checked by the tools AWS users trust: every IAM policy document the program
// declares through parliament (no unknown action, no resource that does not fit its action), the state
// machine's definition through asl-validator, every Athena query find and verify can emit through
// sqlglot's Athena dialect, and every EventBridge schedule expression through an EventBridge cron
// validator. What a tool reports and is not fixed is a documented false positive (docs/checks.md).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { buildLetheUnderMocks, MockedProgram } from "../support/pulumiMocks";
import { configDefaults, DataMapperSetting, validateConfig } from "../../infra/config";
import { scheduleExpressionProblem } from "../../infra/scheduleExpression";
import { athenaFindQuery } from "../../runtime/erasure/find/athenaFinder";
import { IdColumn } from "../../runtime/erasure/find/idColumns";
import { DataMapper, DataMapperFormat, dataMapperFormats } from "../../runtime/contracts/mappers";
const aslValidator = require("asl-validator") as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

const python = path.resolve(__dirname, "../../.venv/bin/python");
const checker = path.join(__dirname, "aws_tools.py");

interface Checked {
  policies: { name: string; findings: { issue: string; detail: string }[] }[];
  queries: { name: string; findings: string[]; printed: string | null }[];
  schedules: { name: string; findings: string[] }[];
}

function check(input: {
  policies?: { name: string; document: unknown }[];
  queries?: { name: string; sql: string }[];
  schedules?: { name: string; expression: string }[];
}): Checked {
  const run = spawnSync(python, [checker], { input: JSON.stringify(input), encoding: "utf8" });
  if (run.status !== 0) throw new Error(`aws_tools.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Checked;
}

/**
 * Parliament findings documented as false positives (docs/checks.md): which documents, which issue, a
 * pattern of the detail, and why. A finding not listed fails the test.
 */
const falsePositives: { where: RegExp; issue: string; detail: RegExp; why: string }[] = [
  {
    where: /^aws:iam\/role:Role .*\.assumeRolePolicy$/,
    issue: "MALFORMED",
    detail: /^Statement contains neither Resource nor NotResource$/,
    why: "a trust policy names a Principal and never a Resource; parliament lints identity policies",
  },
  {
    where: /^aws:kms\/key:Key .*\.policy$/,
    issue: "RESOURCE_STAR",
    detail: /./,
    why: 'in a key policy "*" is the key the policy is attached to, and nothing else',
  },
  {
    where: /^aws:kms\/key:Key lethe-lake-cmk-key\.policy$/,
    issue: "MISMATCHED_TYPE",
    detail: /^Type mismatch: ArnLike requires a value of type Arn but given String$/,
    why: "kms:EncryptionContext:aws:logs:arn holds a log group ARN; ArnLike is the form AWS documents for it",
  },
  {
    where: /^aws:iam\/rolePolicy:RolePolicy lethe-operations-(batch|deadline)-policy\.policy$/,
    issue: "RESOURCE_MISMATCH",
    detail: /"action": "states:DescribeExecution", "required_format": "arn:\*:states:\*:\*:express:/,
    why: "execution and express are alternative resource types; the erasure machine is STANDARD",
  },
  {
    where: /^aws:iam\/rolePolicy:RolePolicy lethe-operations-approval-policy\.policy$/,
    issue: "RESOURCE_MISMATCH",
    detail: /"action": "states:SendTaskSuccess", "required_format": "\*"/,
    why: "a callback task's token is authorised against its state machine's ARN (IAM's own denials name it)",
  },
];

/** Every string input that holds a JSON policy document (identity, trust, bucket, key, topic, queue). */
function policyDocuments(p: MockedProgram): { name: string; document: unknown }[] {
  const found: { name: string; document: unknown }[] = [];
  const visit = (where: string, value: unknown) => {
    if (typeof value === "string" && value.includes('"Statement"')) {
      try {
        const doc = JSON.parse(value) as { Statement?: unknown };
        if (doc && typeof doc === "object" && doc.Statement !== undefined)
          found.push({ name: where, document: doc });
      } catch {
        // not JSON: a description mentioning Statement
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(`${where}[${i}]`, v));
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) visit(`${where}.${k}`, v);
  };
  for (const r of p.resources) visit(`${r.type} ${r.name}`, r.inputs);
  return found;
}

const mappers: DataMapperSetting[] = [
  {
    name: "orders",
    glueDatabase: "sales",
    glueTable: "orders",
    location: "s3://sales-lake/orders/",
    idColumns: ["tenant", "user.id"],
    format: "jsonl.gz",
    partitionColumns: ["dt"],
  },
  {
    name: "leads",
    glueDatabase: "crm",
    glueTable: "leads",
    location: "s3://crm-lake/leads/",
    idColumns: ["email"],
    format: "csv",
    partitionColumns: [],
    csv: { serde: "OpenCSVSerde", columns: ["email", "name"], skipHeaderLines: 1 },
  },
];

describe("infra: artifacts checked by AWS's own tools (parliament, asl-validator, sqlglot, cron)", function () {
  this.timeout(120_000);
  let p: MockedProgram;
  before(async () => {
    p = await buildLetheUnderMocks({ dataMappers: [...configDefaults.dataMappers, ...mappers] });
  });

  it("every IAM policy document passes parliament (no unknown action, resources fit their actions)", () => {
    const documents = policyDocuments(p);
    const types = new Set(documents.map((d) => d.name.split(" ")[0]));
    // The documents this test reaches: roles' trust and inline policies, bucket, key, topic and queue policies.
    for (const t of [
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:s3/bucketPolicy:BucketPolicy",
    ])
      expect(types, t).to.include(t);
    expect(documents.length).to.be.greaterThan(30);
    const result = check({ policies: documents });
    const unexplained = result.policies.flatMap((r) =>
      r.findings
        .filter(
          (f) =>
            !falsePositives.some(
              (fp) => fp.where.test(r.name) && fp.issue === f.issue && fp.detail.test(f.detail),
            ),
        )
        .map((f) => `${r.name}: ${f.issue} ${f.detail}`),
    );
    expect(unexplained, unexplained.join("\n")).to.deep.equal([]);
  });

  it("parliament does report a misspelt action and a resource that does not fit (the check can fail)", () => {
    const result = check({
      policies: [
        {
          name: "planted",
          document: {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: "s3:GetObjects", Resource: "arn:aws:s3:::b/*" },
              { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b" },
            ],
          },
        },
      ],
    });
    expect(result.policies[0].findings.map((f) => f.issue).sort()).to.deep.equal([
      "RESOURCE_MISMATCH",
      "UNKNOWN_ACTION",
    ]);
  });

  it("the state machine's definition passes asl-validator", () => {
    const machines = p.ofType("aws:sfn/stateMachine:StateMachine");
    expect(machines).to.have.length(1);
    const definition = JSON.parse(machines[0].inputs.definition);
    const { isValid, errorsText } = aslValidator(definition);
    expect(isValid, errorsText("\n")).to.equal(true);
    // The validator does refuse a broken machine (a Next to no state).
    const broken = structuredClone(definition);
    const first = broken.States[broken.StartAt];
    first.Next = "NoSuchState";
    delete first.End;
    expect(aslValidator(broken).isValid).to.equal(false);
  });

  it("every Athena query find and verify emit parses in the Athena dialect (each format, partitioned or not)", () => {
    const columnsFor = (mapper: DataMapper): IdColumn[] =>
      mapper.idColumns.map((c, i) => ({
        path: c,
        type: i === 0 ? "string" : "bigint",
        id: i === 0 ? { kind: "string" } : { kind: "integer", bits: 64 },
      }));
    const queries: { name: string; sql: string }[] = [];
    for (const format of dataMapperFormats as readonly DataMapperFormat[]) {
      for (const partitioned of [false, true]) {
        for (const idColumns of [["customer_id"], ["tenant", "user.id"]]) {
          const mapper: DataMapper = {
            name: "m",
            glueDatabase: "lake-db",
            glueTable: `t_${format.replace(".", "_")}`,
            location: "s3://b/p/",
            idColumns,
            format,
            partitionColumns: partitioned ? ["dt"] : [],
          };
          const label = `${format} ${partitioned ? "partitioned" : "unpartitioned"} ${idColumns.join("+")}`;
          // A full find, and a find since a time (verify's rounds: only the partitions written since).
          const full = athenaFindQuery(mapper, columnsFor(mapper), "lethe_dev", "b-1");
          queries.push({ name: `${label} full`, sql: full.sql });
          if (partitioned) {
            const since = athenaFindQuery(mapper, columnsFor(mapper), "lethe_dev", "b-1", "dt", [
              "2026-01-01",
              "2026-01-02",
            ]);
            queries.push({ name: `${label} since`, sql: since.sql });
          }
        }
      }
    }
    const result = check({ queries: [...queries, { name: "planted", sql: "SELECT DISTINCT FROM WHERE" }] });
    const planted = result.queries.pop()!;
    expect(planted.findings, "sqlglot refuses a broken query").to.not.deep.equal([]);
    expect(result.queries.length).to.equal(dataMapperFormats.length * 6);
    for (const q of result.queries) {
      expect(q.findings, q.name).to.deep.equal([]);
      // What sqlglot understood joins the manifest and filters on the batch's partition.
      expect(q.printed, q.name).to.match(/JOIN "lethe_dev"\."/);
      expect(q.printed, q.name).to.match(/WHERE m\."batch_id" = \?/);
    }
  });

  it("every EventBridge schedule expression the program declares (and the defaults) is valid", () => {
    const rules = p.ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.inputs.scheduleExpression);
    expect(rules.length).to.be.greaterThan(0);
    const schedules = rules.map((r) => ({ name: r.name, expression: String(r.inputs.scheduleExpression) }));
    const c = validateConfig({ ...configDefaults });
    for (const key of ["batchSchedule", "deadlineSchedule", "ingestFilterBuildSchedule"] as const)
      schedules.push({ name: `default ${key}`, expression: c[key] });
    const result = check({
      schedules: [
        ...schedules,
        { name: "planted cron", expression: "cron(0/15 * * * * *)" },
        { name: "planted rate", expression: "rate(1 minutes)" },
      ],
    });
    const planted = result.schedules.splice(-2);
    for (const s of planted) expect(s.findings, s.name).to.not.deep.equal([]);
    for (const s of result.schedules)
      expect(s.findings, `${s.name}: ${s.findings.join("; ")}`).to.deep.equal([]);
  });

  it("lethe:*Schedule settings are refused by the program exactly when the EventBridge validator refuses them", () => {
    const expressions = [
      "rate(1 minute)",
      "rate(5 minutes)",
      "rate(1 minutes)",
      "rate(2 hour)",
      "rate(0 days)",
      "rate(1 day)",
      "cron(0/15 * * * ? *)",
      "cron(0/15 * * * * *)",
      "cron(0 12 ? * MON-FRI *)",
      "cron(0 12 * * ? 2026)",
      "cron(0 12 ? * ? *)",
      "cron(60 * * * ? *)",
      "cron(0 24 * * ? *)",
      "cron(0 0 32 * ? *)",
      "cron(0 0 L * ? *)",
      "cron(0 0 15W * ? *)",
      "cron(0 0 ? * 6L *)",
      "cron(0 0 ? * 2#1 *)",
      "cron(0 0 1 JAN,JUL ? *)",
      "cron(0 0 1 13 ? *)",
      "cron(0 0 1 * ?)",
      "cron(0 0 1 * ? * *)",
      "cron(0 8-17 ? * MON-FRI *)",
      "cron(5,35 14 * * ? *)",
      "cron(0 0 1 * ? 1969)",
      "every 5 minutes",
    ];
    const validator = check({ schedules: expressions.map((e) => ({ name: e, expression: e })) }).schedules;
    const disagreements = expressions.filter(
      (e, i) => (scheduleExpressionProblem(e) === undefined) !== (validator[i].findings.length === 0),
    );
    expect(
      disagreements,
      disagreements.map((e) => `${e}: ${validator[expressions.indexOf(e)].findings}`).join("\n"),
    ).to.deep.equal([]);
    // Both refuse some and take some: the list tells them apart.
    expect(validator.filter((v) => v.findings.length === 0).length).to.be.within(5, expressions.length - 5);
    expect(() => validateConfig({ ...configDefaults, batchSchedule: "cron(0/15 * * * * *)" })).to.throw(
      /batchSchedule.*exactly one of day-of-month and day-of-week must be \?/,
    );
  });
});
