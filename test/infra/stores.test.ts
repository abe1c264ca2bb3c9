// The store functions under Pulumi mocks: one function per configured store, each with a role that
// can do only what its store needs; and `lethe:stores` validation naming the store and the field.
import { expect } from "chai";
import {
  buildLetheUnderMocks,
  installPulumiMocks,
  MockedProgram,
  mockIdentity,
} from "../support/pulumiMocks";
import { configDefaults, ConfigError, readLetheConfig, validateConfig } from "../../infra/config";
import { StoreConfig } from "../../runtime/contracts/stores";
import { envNames } from "../../runtime/contracts/env";
import { recordRegistrations } from "../../local/program/mockedRun";
import { evaluate } from "../policies/evaluate";

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
}

const stores: StoreConfig[] = [
  {
    name: "profiles",
    kind: "dynamodb",
    owner: "profiles@example.com",
    table: "customer-profiles",
    idAttribute: "customer_id",
  },
  {
    name: "sessions",
    kind: "dynamodb",
    owner: "sessions@example.com",
    table: "sessions",
    idAttribute: "customer_id",
    indexName: "by-customer",
    partitionKey: "session_id",
  },
  {
    name: "accounts",
    kind: "postgres",
    owner: "accounts@example.com",
    connectionSecret: "prod/accounts-db",
    tables: [{ table: "public.accounts", idColumn: "customer_id" }],
    network: { vpcId: "vpc-0abc", subnetIds: ["subnet-01", "subnet-02"], securityGroupIds: ["sg-0db"] },
  },
  {
    name: "crm",
    kind: "subsystem",
    owner: "crm@example.com",
    url: "https://crm.example.com/lethe",
    mode: "async",
    signingSecret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm-signing-AbCdEf",
  },
];

describe("infra: store functions under mocks", () => {
  let p: MockedProgram;
  before(async () => {
    p = await buildLetheUnderMocks({ stores });
  });
  const ledger = () => {
    const t = p.named("lethe-tables-ledger");
    return t.inputs.name
      ? { name: t.inputs.name as string, arn: mockIdentity(t.type, t.name).arn }
      : mockIdentity(t.type, t.name);
  };
  const statements = (store: string): Statement[] =>
    JSON.parse(p.named(`lethe-stores-${store}-policy`).inputs.policy).Statement;
  const own = (store: string) =>
    statements(store).filter(
      (s) => !["WriteOwnLogs", "SendDeadLetters", "UseStackKey", "WriteTraces"].includes(s.Sid ?? ""),
    );

  it("deploys one function per store with its own settings in the environment", () => {
    const names = p
      .ofType("aws:lambda/function:Function")
      .map((f) => f.inputs.name as string)
      .filter((n) => n.includes("-store-"));
    expect(names.sort()).to.deep.equal([
      "lethe-dev-store-accounts",
      "lethe-dev-store-crm",
      "lethe-dev-store-profiles",
      "lethe-dev-store-sessions",
    ]);
    const fn = p.named("lethe-stores-sessions-function").inputs;
    expect(JSON.parse(fn.environment.variables[envNames.store])).to.deep.equal(stores[1]);
    expect(fn.environment.variables[envNames.alertTopicArn]).to.match(/^arn:aws:sns:/);
    expect(fn.environment.variables[envNames.ledgerTable]).to.equal(ledger().name);
  });

  it("DynamoDB: Query on the table or its index and DeleteItem on the table, nothing else", () => {
    expect(own("profiles").map((s) => [s.Action, s.Resource])).to.deep.equal([
      ["dynamodb:Query", "arn:aws:dynamodb:eu-west-1:123456789012:table/customer-profiles"],
      ["dynamodb:DeleteItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/customer-profiles"],
      [["s3:GetObject", "s3:GetObjectVersion"], own("profiles")[2].Resource],
      ["sns:Publish", own("profiles")[3].Resource],
      [["dynamodb:GetItem", "dynamodb:UpdateItem"], own("profiles")[4].Resource],
    ]);
    // The batch record (the ledger's summary item) takes the store's outcome and step.
    expect(own("profiles")[4].Resource).to.equal(ledger().arn);
    expect(own("profiles")[2].Resource).to.match(/^arn:aws:s3:::.*\/erasure-manifests\/\*$/);
    expect(own("sessions")[0].Resource).to.equal(
      "arn:aws:dynamodb:eu-west-1:123456789012:table/sessions/index/by-customer",
    );
    for (const store of ["profiles", "sessions", "accounts", "crm"]) {
      const acts = statements(store).flatMap((s) => [s.Action].flat());
      expect(
        acts.filter((a) => a === "*" || a.endsWith(":*") || a === "dynamodb:Scan"),
        store,
      ).to.deep.equal([]);
    }
  });

  it("PostgreSQL: its connection secret, the database's VPC, TLS certificates of RDS", () => {
    const s = own("accounts");
    expect(s[0]).to.deep.include({
      Action: "secretsmanager:GetSecretValue",
      Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/accounts-db-??????",
    });
    expect(s.find((x) => x.Sid === "JoinDatabaseVpc")!.Resource).to.include(
      "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-02",
    );
    const fn = p.named("lethe-stores-accounts-function").inputs;
    expect(fn.vpcConfig).to.deep.equal({
      subnetIds: ["subnet-01", "subnet-02"],
      securityGroupIds: ["sg-0db"],
    });
    expect(fn.environment.variables.NODE_EXTRA_CA_CERTS).to.equal("/var/runtime/ca-cert.pem");
    expect(p.named("lethe-stores-crm-function").inputs.vpcConfig).to.equal(undefined);
  });

  it("subsystem: its signing secret only", () => {
    expect(own("crm")[0]).to.deep.include({
      Action: "secretsmanager:GetSecretValue",
      Resource: stores[3].kind === "subsystem" ? stores[3].signingSecret : "",
    });
    expect(own("crm").map((s) => s.Sid)).to.deep.equal([
      "ReadSigningSecret",
      "ReadBatchManifests",
      "AlertOwners",
      "RecordBatchOutcome",
    ]);
  });

  const refuse = (entry: Record<string, unknown>) => () =>
    validateConfig({ ...configDefaults, stores: [entry as unknown as StoreConfig] });
  for (const [what, entry, message] of [
    [
      "an unknown kind",
      { ...stores[0], kind: "mysql" },
      'store "profiles": kind must be one of dynamodb, postgres, subsystem, got "mysql"',
    ],
    [
      "no owner",
      { ...stores[0], owner: undefined },
      'store "profiles": owner must be the owning team\'s e-mail address (alerts name it), got undefined',
    ],
    [
      "a table name with a quote",
      { ...stores[2], tables: [{ table: 'accounts"; drop', idColumn: "id" }] },
      'store "accounts": tables[0]: table must be a table name, table or schema.table (letters, digits, _), got "accounts\\"; drop"',
    ],
    [
      "a bad ID column",
      { ...stores[2], tables: [{ table: "accounts", idColumn: "customer id" }] },
      'store "accounts": tables[0]: idColumn must be a column name (letters, digits, _), got "customer id"',
    ],
    [
      "a non-HTTPS subsystem",
      { ...stores[3], url: "http://crm.example.com" },
      'store "crm": url must be an https:// URL (requests carry subjects\' IDs and are signed), got "http://crm.example.com"',
    ],
    [
      "no signing secret",
      { ...stores[3], signingSecret: "" },
      'store "crm": signingSecret must be a Secrets Manager secret ARN or name, got ""',
    ],
    [
      "no connection secret",
      { ...stores[2], connectionSecret: undefined },
      'store "accounts": connectionSecret must be a Secrets Manager secret ARN or name, got undefined',
    ],
    [
      "a GSI without the table's key",
      { ...stores[1], partitionKey: undefined },
      'store "sessions": partitionKey is required with indexName (the table\'s own partition key, to delete what the index found), got undefined',
    ],
    [
      "PostgreSQL without a network",
      { ...stores[2], network: undefined },
      'store "accounts": network {vpcId, subnetIds, securityGroupIds} is required: the function runs in the database\'s VPC',
    ],
    [
      "a typo'd field",
      { ...stores[0], tabel: "x" },
      'store "profiles": unknown field "tabel" for a dynamodb store',
    ],
  ] as const) {
    it(`refuses ${what} at preview, naming the store and the field`, () => {
      expect(refuse(entry)).to.throw(ConfigError, `lethe:stores: ${message}`);
    });
  }

  it("violates no rule of the policy pack with every kind of store configured", async () => {
    let recorder: ReturnType<typeof recordRegistrations> | undefined;
    await buildLetheUnderMocks({ stores }, () => {
      recorder = recordRegistrations();
    });
    expect(
      recorder!.resources.filter((r) => r.type === "aws:lambda/function:Function").length,
    ).to.be.at.least(4);
    expect(await evaluate(recorder!.resources)).to.deep.equal([]);
  });

  it("reads lethe:stores as a JSON string from the stack (default: none), refusing bad JSON", () => {
    installPulumiMocks({});
    expect(readLetheConfig().stores).to.deep.equal([]);
    installPulumiMocks({ "lethe:stores": JSON.stringify(stores.slice(0, 1)) });
    expect(readLetheConfig().stores).to.deep.equal(stores.slice(0, 1));
    installPulumiMocks({ "lethe:stores": "[{name: profiles}]" });
    expect(() => readLetheConfig()).to.throw(ConfigError, /^lethe:stores: must be JSON: /);
    installPulumiMocks({ "lethe:stores": '{"name": "profiles"}' });
    expect(() => readLetheConfig()).to.throw(
      ConfigError,
      'lethe:stores: must be a list of stores, got {"name":"profiles"}',
    );
  });

  it("accepts http:// on a loopback host only with lethe:subsystemLoopbackHttp, and gives the function the setting", async () => {
    const local = { ...stores[3], url: "http://127.0.0.1:8080/crm" } as StoreConfig;
    expect(() => validateConfig({ ...configDefaults, stores: [local] })).to.throw(
      ConfigError,
      'lethe:stores: store "crm": url must be an https:// URL',
    );
    expect(() =>
      validateConfig({ ...configDefaults, stores: [local], subsystemLoopbackHttp: true }),
    ).not.to.throw();
    // Any other plain-HTTP URL is refused all the same.
    const remote = { ...stores[3], url: "http://crm.example.com" } as StoreConfig;
    expect(() =>
      validateConfig({ ...configDefaults, stores: [remote], subsystemLoopbackHttp: true }),
    ).to.throw(ConfigError, 'lethe:stores: store "crm": url must be an https:// URL');
    const withFlag = await buildLetheUnderMocks({ stores: [local], subsystemLoopbackHttp: true });
    const vars = withFlag.named("lethe-stores-crm-function").inputs.environment.variables;
    expect(vars[envNames.subsystemAllowLoopbackHttp]).to.equal("true");
    expect(p.named("lethe-stores-crm-function").inputs.environment.variables).not.to.have.property(
      envNames.subsystemAllowLoopbackHttp,
    );
  });

  it("refuses two stores of one name", () => {
    expect(() => validateConfig({ ...configDefaults, stores: [stores[0], stores[0]] })).to.throw(
      ConfigError,
      'lethe:stores: store "profiles": name is used by another store',
    );
  });
});
