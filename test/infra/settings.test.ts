// Every setting Pulumi.yaml declares is read by infra/config.ts and reaches a resource input, a
// function's environment or a stack output of the program under mocks; its default lives only in
// Pulumi.yaml.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { buildLetheUnderMocks, installPulumiMocks, MockedProgram } from "../support/pulumiMocks";
import {
  configDefaults,
  LetheConfig,
  logRetentionValues,
  projectFile,
  readLetheConfig,
  readProjectDefaults,
  settingTypes,
  validateConfig,
} from "../../infra/config";
import {
  erasureEnvironment,
  erasureSettingsFromConfig,
  erasureSettingsFromEnv,
} from "../../runtime/erasure/settings";
import { localErasureSettings } from "../support/stackSettings";
import { envNames } from "../../runtime/contracts/env";

type Declared = Record<string, { type: string; description: string; default: unknown }>;
const declared = (yaml.load(fs.readFileSync(projectFile, "utf8")) as { config: Declared }).config;
const keys = Object.keys(declared) as (keyof LetheConfig)[];

/** Settings valid only beside another: the other's value that goes with the alternate. */
const userPool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_example";
const consoleDomain = "https://lethe-example.auth.eu-west-1.amazoncognito.com";
const consoleClient = "5abc2def3ghi4jkl5mno6pqr7s";
function companions(k: keyof LetheConfig): Partial<LetheConfig> {
  if (k === "apiAuthorizer") return { apiCognitoUserPoolArn: userPool };
  if (k === "apiCognitoUserPoolArn") return { apiAuthorizer: "cognito" };
  // The console's sign-in: both halves, with the Cognito authoriser.
  if (k === "apiConsoleCognitoDomain")
    return {
      apiAuthorizer: "cognito",
      apiCognitoUserPoolArn: userPool,
      apiConsoleCognitoClientId: consoleClient,
    };
  if (k === "apiConsoleCognitoClientId")
    return {
      apiAuthorizer: "cognito",
      apiCognitoUserPoolArn: userPool,
      apiConsoleCognitoDomain: consoleDomain,
    };
  // Only a subsystem's function is told it may call a loopback URL.
  if (k === "subsystemLoopbackHttp")
    return {
      stores: [
        {
          name: "crm",
          kind: "subsystem",
          owner: "crm@example.com",
          url: "http://127.0.0.1:8080",
          mode: "sync",
          signingSecret: "crm-signing",
        },
      ],
    };
  // The retention schedule exists only in a stack whose data mappers declare retention.
  if (k === "retentionSchedule")
    return {
      dataMappers: configDefaults.dataMappers.map((m) => ({ ...m, retention: { days: 400 } })),
    };
  return {};
}

/** A valid value other than the default, for each setting. */
function alternate(k: keyof LetheConfig): LetheConfig[keyof LetheConfig] {
  const d = configDefaults[k];
  const others: Partial<Record<keyof LetheConfig, unknown>> = {
    alertEmail: "privacy-ops@example.com",
    ingestFilterBuildSchedule: "rate(5 minutes)",
    batchSchedule: "cron(0 6 * * ? *)",
    deadlineSchedule: "rate(1 day)",
    retentionSchedule: "rate(7 days)",
    apiAuthorizer: "cognito",
    apiCognitoUserPoolArn: userPool,
    apiConsoleCognitoDomain: consoleDomain,
    apiConsoleCognitoClientId: consoleClient,
    stores: [
      {
        name: "profiles",
        kind: "dynamodb",
        owner: "crm@example.com",
        table: "profiles",
        idAttribute: "customerId",
      },
    ],
    dataMappers: [
      ...configDefaults.dataMappers,
      {
        name: "orders",
        glueDatabase: "shop",
        glueTable: "orders",
        location: "s3://shop-lake/orders/",
        idColumns: ["customer_id"],
        format: "parquet",
        partitionColumns: ["dt"],
      },
    ],
  };
  const candidates: unknown[] =
    typeof d === "boolean"
      ? [!d]
      : typeof d === "number"
        ? [d + 1, d - 1, ...logRetentionValues.filter((v) => v !== d)]
        : [others[k]];
  for (const c of candidates) {
    if (c === undefined) continue;
    try {
      validateConfig({ ...configDefaults, ...companions(k), [k]: c });
      return c as LetheConfig[keyof LetheConfig];
    } catch {
      // try the next one
    }
  }
  throw new Error(`no valid alternate value for lethe:${k}: add one to this test`);
}

/** What the program produced: every resource's inputs (by type and name) and every stack output. */
function snapshot(p: MockedProgram): string {
  const resources = [...p.resources].sort((a, b) =>
    `${a.type}/${a.name}`.localeCompare(`${b.type}/${b.name}`),
  );
  return JSON.stringify({ resources, outputs: p.outputs });
}

describe("infra: every setting has one default and a consumer", () => {
  it("reads every key Pulumi.yaml declares, with the type it declares, and no other", async () => {
    expect(keys.sort()).to.deep.equal(Object.keys(settingTypes).sort());
    for (const k of keys) {
      // A structured setting is declared as a string holding JSON (Pulumi config types cannot be objects).
      const json = settingTypes[k] === "json";
      expect(declared[k].type, k).to.equal(json ? "string" : settingTypes[k]);
      expect(declared[k].description, k).to.be.a("string").and.have.length.greaterThan(10);
      expect(configDefaults[k], k).to.deep.equal(
        json ? JSON.parse(String(declared[k].default)) : declared[k].default,
      );
    }
    // Every key set on the stack comes back from readLetheConfig.
    const text = (v: unknown) => (typeof v === "object" ? JSON.stringify(v) : String(v));
    const stackConfig = Object.fromEntries(keys.map((k) => [`lethe:${k}`, text(alternate(k))]));
    installPulumiMocks(stackConfig);
    const read = readLetheConfig(new pulumi.Config("lethe"));
    for (const k of keys) expect(read[k], k).to.deep.equal(alternate(k));
  });

  it("refuses a Pulumi.yaml that declares a setting the program does not read, or drops one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-settings-"));
    try {
      const write = (config: Declared) => {
        const file = path.join(dir, "Pulumi.yaml");
        fs.writeFileSync(file, yaml.dump({ name: "lethe", config }));
        return file;
      };
      const extra = write({
        ...declared,
        shinyNewSetting: { type: "integer", description: "x", default: 1 },
      });
      expect(() => readProjectDefaults(extra)).to.throw(
        /lethe:shinyNewSetting is declared but infra\/config.ts does not read it/,
      );
      const { auditRetentionDays: _dropped, ...rest } = declared;
      expect(() => readProjectDefaults(write(rest))).to.throw(/lethe:auditRetentionDays must be declared/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hands the erasure settings to the runtime through the function environment, unchanged", () => {
    const env = erasureEnvironment(erasureSettingsFromConfig(configDefaults));
    expect(erasureSettingsFromEnv(env)).to.deep.equal({
      deadlineDays: configDefaults.erasureDeadlineDays,
      requestRetentionDays: configDefaults.requestRetentionDays,
      errorRetentionDays: configDefaults.errorRetentionDays,
      auditRetentionDays: configDefaults.auditRetentionDays,
      failedRequestIdGraceDays: configDefaults.failedRequestIdGraceDays,
    });
    // The local tools read the same defaults and pass them the same way.
    expect(localErasureSettings()).to.deep.equal(erasureSettingsFromEnv(env));
    const { [envNames.auditRetentionDays]: _gone, ...missing } = env;
    expect(() => erasureSettingsFromEnv(missing)).to.throw(/LETHE_AUDIT_RETENTION_DAYS is not set/);
    expect(() => erasureSettingsFromEnv({ ...env, [envNames.requestRetentionDays]: "1.5" })).to.throw(
      /LETHE_REQUEST_RETENTION_DAYS must be whole days/,
    );
  });

  describe("a changed value of each setting changes what the program declares", () => {
    let baseline: string;
    before(async () => {
      baseline = snapshot(await buildLetheUnderMocks());
      // Two builds of the same settings are identical: a difference below is the setting's doing.
      expect(snapshot(await buildLetheUnderMocks())).to.equal(baseline);
    });
    for (const k of keys) {
      it(`lethe:${k}`, async () => {
        const changed = snapshot(await buildLetheUnderMocks({ ...companions(k), [k]: alternate(k) }));
        expect(
          changed !== baseline,
          `lethe:${k} reaches no resource input, function environment or stack output`,
        ).to.equal(true);
      });
    }
  });
});
