// Less reach under Pulumi mocks: every grant of the stack key is confined by kms:ViaService to the
// services that use it, only the functions that hash subjects may compute hashes (kms:GenerateMac on the
// HMAC key), the Firehose role touches only the objects under its own prefixes, and audit details
// in S3 expire with the audit records.
import { expect } from "chai";
import { buildLetheUnderMocks, mockIdentity, MockedProgram } from "../support/pulumiMocks";
import { configDefaults } from "../../infra/config";
import { envNames } from "../../runtime/contracts/env";
import { defaultFilterPrefix } from "../../runtime/ingest/settings";

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const rolePolicies = (p: MockedProgram) =>
  p.ofType("aws:iam/rolePolicy:RolePolicy").map((r) => ({
    name: r.name,
    statements: JSON.parse(r.inputs.policy).Statement as Statement[],
  }));
const actionsOf = (s: Statement) => [s.Action].flat();
/** Whether an IAM resource pattern (with `*`) covers an ARN. */
const covers = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((x) => x.replace(/[.?+^$|()[\]{}\\/]/g, "\\$&"))
      .join(".*")}$`,
  ).test(arn);

describe("infra: key use and reach under mocks", () => {
  let p: MockedProgram;
  const stackKey = mockIdentity("aws:kms/key:Key", "lethe-lake-cmk-key").arn;
  const hashKey = mockIdentity("aws:kms/key:Key", "lethe-subject-hash-key").arn;
  const lake = mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-data").arn;
  before(async () => {
    p = await buildLetheUnderMocks();
  });

  it("confines every kms:Decrypt and kms:GenerateDataKey grant to named services with kms:ViaService", () => {
    const grants = rolePolicies(p).flatMap(({ name, statements }) =>
      statements
        .filter((s) => actionsOf(s).some((a) => /^kms:(Decrypt|GenerateDataKey)/.test(a)))
        .map((s) => ({ name, s })),
    );
    // Every function's role uses the stack key (its environment, its dead letters), and Firehose's.
    const functionRoles = p
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .map((r) => r.name)
      .filter((n) => n.endsWith("-function-policy") || /^lethe-guard-(builder|transformer)-policy$/.test(n));
    expect(grants.map((g) => g.name)).to.include.members([...functionRoles, "lethe-ingest-policy"]);
    const services = (s: Statement) => [s.Condition?.StringEquals?.["kms:ViaService"] ?? []].flat().sort();
    for (const { name, s } of grants) {
      expect(s.Resource, name).to.equal(stackKey);
      expect(services(s), name).to.have.length.greaterThan(0);
      for (const v of services(s)) expect(v, name).to.match(/^[a-z0-9-]+\.eu-west-1\.amazonaws\.com$/);
    }
    const by = (n: string) => services(grants.find((g) => g.name === n)!.s);
    // Functions: their environment (Lambda), their dead letters (SQS), the filter (S3), the registry (DynamoDB).
    for (const fn of ["lethe-guard-builder-policy", "lethe-guard-transformer-policy"]) {
      expect(by(fn)).to.deep.equal(
        ["dynamodb", "lambda", "s3", "sqs"].map((x) => `${x}.eu-west-1.amazonaws.com`),
      );
    }
    // Firehose: the objects it writes (S3) and the encrypted Data Catalog it reads the schema from (Glue).
    expect(by("lethe-ingest-policy")).to.deep.equal([
      "glue.eu-west-1.amazonaws.com",
      "s3.eu-west-1.amazonaws.com",
    ]);
  });

  it("lets only the functions that hash subjects (filter builder, indexer, request, batch, find, verify, report, and approval, cancel and opt-in, which release opt-outs) use the HMAC key, with kms:GenerateMac alone", () => {
    const mac = rolePolicies(p).flatMap(({ name, statements }) =>
      statements.filter((s) => actionsOf(s).some((a) => a.includes("Mac"))).map((s) => ({ name, s })),
    );
    // The approval-link key is another HMAC key: request-approval signs links, the API verifies them.
    const linkKey = p.outputs?.approvalLinkKeyArn;
    expect(
      mac
        .filter((m) => m.s.Resource === linkKey)
        .map((m) => [m.name, actionsOf(m.s)])
        .sort(),
    ).to.deep.equal([
      ["lethe-api-function-policy", ["kms:VerifyMac"]],
      ["lethe-tasks-request-approval-policy", ["kms:GenerateMac"]],
    ]);
    mac.splice(0, mac.length, ...mac.filter((m) => m.s.Resource !== linkKey));
    expect(mac.map((m) => [m.name, actionsOf(m.s), m.s.Resource]).sort()).to.deep.equal(
      [
        ["lethe-find-function-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-guard-builder-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-index-function-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-operations-approval-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-operations-batch-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-operations-cancel-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-operations-opt-in-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-operations-request-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-tasks-report-policy", ["kms:GenerateMac"], hashKey],
        ["lethe-tasks-verify-policy", ["kms:GenerateMac"], hashKey],
      ].sort(),
    );
    const builder = p
      .ofType("aws:lambda/function:Function")
      .find((f) => f.inputs.name === "lethe-dev-filter-builder")!;
    expect(builder.inputs.environment.variables[envNames.subjectHashKeyArn]).to.equal(hashKey);
    expect(p.outputs?.subjectHashKeyArn).to.equal(hashKey);
  });

  it("lets only the report function's role sign with the report signing key (ECC_NIST_P256, SIGN_VERIFY), whose public key is a stack output and which the API function may only read the public key of", () => {
    const signingKey = mockIdentity("aws:kms/key:Key", "lethe-report-signing-key").arn;
    const key = p.named("lethe-report-signing-key").inputs;
    expect([key.customerMasterKeySpec, key.keyUsage]).to.deep.equal(["ECC_NIST_P256", "SIGN_VERIFY"]);
    // Every statement any role has that names the key, or signs with any key.
    const uses = rolePolicies(p).flatMap(({ name, statements }) =>
      statements
        .filter((s) =>
          actionsOf(s).some(
            (a) =>
              /^kms:(Sign|\*)$/.test(a) ||
              a === "*" ||
              (a.startsWith("kms:") && [s.Resource].flat().some((r) => covers(r, signingKey))),
          ),
        )
        .map((s) => [name, actionsOf(s).sort(), s.Resource]),
    );
    // The API function reads the public half only, to check reports' signatures in the console.
    expect(uses).to.deep.equal([
      ["lethe-api-function-policy", ["kms:GetPublicKey"], signingKey],
      ["lethe-tasks-report-policy", ["kms:GetPublicKey", "kms:Sign"], signingKey],
    ]);
    const report = p
      .ofType("aws:lambda/function:Function")
      .find((f) => f.inputs.name === "lethe-dev-report")!;
    expect(report.inputs.environment.variables[envNames.reportSigningKeyArn]).to.equal(signingKey);
    expect(p.outputs?.reportSigningKeyArn).to.equal(signingKey);
    expect(p.outputs).to.have.property("reportSigningPublicKey");
  });

  it("lets the Firehose role read and write only objects under the events and error prefixes", () => {
    const statements = rolePolicies(p).find((r) => r.name === "lethe-ingest-policy")!.statements;
    const objectGrants = statements.filter((s) =>
      actionsOf(s).some((a) => /^s3:.*Object|Multipart/.test(a) && a !== "s3:ListBucketMultipartUploads"),
    );
    const patterns = objectGrants.flatMap((s) => [s.Resource].flat());
    expect(patterns.sort()).to.deep.equal([`${lake}/events/dt=*`, `${lake}/ingest-errors/*`]);
    for (const pattern of patterns) {
      expect(covers(pattern, `${lake}/${defaultFilterPrefix}current.json`), pattern).to.equal(false);
      expect(covers(pattern, `${lake}/${defaultFilterPrefix}generation-0000000001.bloom`), pattern).to.equal(
        false,
      );
    }
    expect(patterns.some((x) => covers(x, `${lake}/events/dt=2026-11-29/part-1.parquet`))).to.equal(true);
    expect(
      patterns.some((x) => covers(x, `${lake}/ingest-errors/format-conversion-failed/dt=2026-11-29/x`)),
    ).to.equal(true);
  });

  it("expires audit details kept in S3 with the audit records, and publishes the erasure settings", () => {
    const rules = p.named("lethe-audit-lifecycle").inputs.rules;
    const current = rules.find((r: { id: string }) => r.id === "expire-current-objects");
    expect(current.expiration.days).to.equal(configDefaults.auditRetentionDays);
    expect(p.outputs?.erasureSettings).to.deep.equal({
      deadlineDays: configDefaults.erasureDeadlineDays,
      requestRetentionDays: configDefaults.requestRetentionDays,
      errorRetentionDays: configDefaults.errorRetentionDays,
      auditRetentionDays: configDefaults.auditRetentionDays,
      failedRequestIdGraceDays: configDefaults.failedRequestIdGraceDays,
    });
  });
});
