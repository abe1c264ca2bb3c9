// The Pulumi program under mocks: the security-relevant properties of every resource, and config flow.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import {
  buildLetheUnderMocks,
  installPulumiMocks,
  mockIdentity,
  settle,
  valueOf,
  MockedProgram,
  RecordedResource,
} from "../support/pulumiMocks";
import { configDefaults, ConfigError, LetheConfig, validateConfig } from "../../infra/config";
import { tableShapes } from "../../runtime/contracts/tables";
import { firehosePrefix } from "../../runtime/contracts/lakeSchema";

const build = (overrides: Partial<LetheConfig> = {}) => buildLetheUnderMocks(overrides);

function parsed(r: RecordedResource, field: string) {
  return JSON.parse(r.inputs[field]);
}

describe("infra: the Lethe program under mocks", () => {
  let p: MockedProgram;
  before(async () => {
    p = await build();
  });

  it("creates one customer-managed KMS key with rotation, usable by our log groups, two HMAC keys (subject hashes, approval links) and a report signing key", () => {
    const keys = p.ofType("aws:kms/key:Key");
    expect(keys.map((k) => k.name).sort()).to.deep.equal([
      "lethe-api-links-key",
      "lethe-lake-cmk-key",
      "lethe-report-signing-key",
      "lethe-subject-hash-key",
    ]);
    // No AWS service may use the signing key either: only IAM policies of this account grant it.
    expect(
      parsed(p.named("lethe-report-signing-key"), "policy").Statement.map((s: { Sid: string }) => s.Sid),
    ).to.deep.equal(["EnableIamPoliciesOfThisAccount"]);
    const stackKey = p.named("lethe-lake-cmk-key");
    expect(stackKey.inputs.enableKeyRotation).to.equal(true);
    const hashKey = p.named("lethe-subject-hash-key").inputs;
    expect([hashKey.customerMasterKeySpec, hashKey.keyUsage]).to.deep.equal([
      "HMAC_256",
      "GENERATE_VERIFY_MAC",
    ]);
    // No AWS service may use the HMAC key: only IAM policies of this account grant it.
    expect(
      parsed(p.named("lethe-subject-hash-key"), "policy").Statement.map((s: { Sid: string }) => s.Sid),
    ).to.deep.equal(["EnableIamPoliciesOfThisAccount"]);
    const policy = parsed(stackKey, "policy");
    const logs = policy.Statement.find((s: { Sid: string }) => s.Sid === "AllowCloudWatchLogsOfThisAccount");
    expect(logs.Principal.Service).to.equal("logs.eu-west-1.amazonaws.com");
  });

  it("makes every bucket versioned, SSE-KMS with our key and a bucket key, private, TLS-only", () => {
    const keyArn = mockIdentity("aws:kms/key:Key", "lethe-lake-cmk-key").arn;
    const buckets = p.ofType("aws:s3/bucket:Bucket");
    expect(buckets.map((b) => b.name).sort()).to.deep.equal([
      "lethe-audit",
      "lethe-lake-athena-results",
      "lethe-lake-data",
      "lethe-reports",
    ]);
    for (const b of buckets) {
      const v = p.named(`${b.name}-versioning`);
      expect(v.inputs.versioningConfiguration.status).to.equal("Enabled");
      const e = p.named(`${b.name}-encryption`).inputs.rules[0];
      expect(e.applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("aws:kms");
      expect(e.applyServerSideEncryptionByDefault.kmsMasterKeyId).to.equal(keyArn);
      expect(e.bucketKeyEnabled).to.equal(true);
      const pab = p.named(`${b.name}-public-access-block`).inputs;
      expect([
        pab.blockPublicAcls,
        pab.blockPublicPolicy,
        pab.ignorePublicAcls,
        pab.restrictPublicBuckets,
      ]).to.deep.equal([true, true, true, true]);
      const policy = parsed(p.named(`${b.name}-tls-only`), "policy");
      const deny = policy.Statement.find((s: { Sid: string }) => s.Sid === "DenyInsecureTransport");
      expect(deny.Effect).to.equal("Deny");
      expect(deny.Condition.Bool["aws:SecureTransport"]).to.equal("false");
      expect(deny.Resource).to.have.length(2);
      expect(b.inputs.tags.gdpr).to.equal("true");
    }
  });

  it("expires noncurrent lake versions after the configured days, inside the erasure deadline", () => {
    const rules = p.named("lethe-lake-data-lifecycle").inputs.rules;
    const rule = rules.find((r: { id: string }) => r.id === "expire-noncurrent-versions");
    expect(rule.noncurrentVersionExpiration.noncurrentDays).to.equal(
      configDefaults.noncurrentVersionExpirationDays,
    );
    expect(rule.noncurrentVersionExpiration.noncurrentDays).to.be.below(configDefaults.erasureDeadlineDays);
    expect(rules.some((r: { id: string }) => r.id === "expire-current-objects")).to.equal(false);
    const errors = rules.find((r: { id: string }) => r.id === "expire-ingest-errors");
    expect(errors.filter.prefix).to.equal("ingest-errors/");
    expect(errors.expiration.days)
      .to.equal(configDefaults.ingestErrorRetentionDays)
      .and.below(configDefaults.erasureDeadlineDays);
    const results = p.named("lethe-lake-athena-results-lifecycle").inputs.rules;
    expect(results.find((r: { id: string }) => r.id === "expire-current-objects").expiration.days).to.equal(
      7,
    );
  });

  it("catalogs the events table as partitioned Parquet with date projection on dt", () => {
    const t = p.named("lethe-lake-events").inputs;
    expect(t.storageDescriptor.columns.map((c: { name: string }) => c.name)).to.deep.equal([
      "customer_id",
      "event_time",
      "event_type",
      "payload",
    ]);
    expect(t.partitionKeys).to.deep.equal([
      { name: "dt", type: "string", comment: "Event day, yyyy-MM-dd (UTC)" },
    ]);
    expect(t.storageDescriptor.serDeInfo.serializationLibrary).to.match(/ParquetHiveSerDe$/);
    expect(t.parameters["projection.enabled"]).to.equal("true");
    expect(t.parameters["projection.dt.type"]).to.equal("date");
    expect(t.parameters["projection.dt.format"]).to.equal("yyyy-MM-dd");
    expect(t.parameters["storage.location.template"]).to.equal(`${t.storageDescriptor.location}dt=\${dt}/`);
    expect(p.ofType("aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings")).to.have.length(
      1,
    );
  });

  it("enforces the Athena workgroup's configuration, byte cutoff and encrypted results", () => {
    const wg = p.ofType("aws:athena/workgroup:Workgroup")[0].inputs;
    expect(wg.configuration.enforceWorkgroupConfiguration).to.equal(true);
    expect(wg.configuration.bytesScannedCutoffPerQuery).to.equal(configDefaults.athenaBytesScannedCutoff);
    expect(wg.configuration.resultConfiguration.encryptionConfiguration.encryptionOption).to.equal("SSE_KMS");
    expect(wg.configuration.resultConfiguration.outputLocation).to.match(
      /^s3:\/\/lethe-lake-athena-results-/,
    );
  });

  it("converts ingest to GZIP Parquet with the Glue table's schema, under the table's partitions", () => {
    const fh = p.ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")[0].inputs;
    expect(fh.serverSideEncryption).to.include({ enabled: true, keyType: "CUSTOMER_MANAGED_CMK" });
    const s3 = fh.extendedS3Configuration;
    const conv = s3.dataFormatConversionConfiguration;
    expect(conv.enabled).to.equal(true);
    expect(conv.outputFormatConfiguration.serializer.parquetSerDe.compression).to.equal("GZIP");
    const table = p.named("lethe-lake-events").inputs;
    const db = p.ofType("aws:glue/catalogDatabase:CatalogDatabase")[0].inputs;
    expect(conv.schemaConfiguration.databaseName).to.equal(db.name);
    expect(conv.schemaConfiguration.tableName).to.equal(table.name);
    // The Firehose prefix, with its timestamp namespace filled in, is the table's location template.
    const template: string = table.parameters["storage.location.template"];
    const written = `s3://BUCKET/${firehosePrefix.replace("!{timestamp:yyyy-MM-dd}", "2026-11-29")}`;
    expect(written).to.equal(
      template.replace(/^s3:\/\/[^/]+\//, "s3://BUCKET/").replace("${dt}", "2026-11-29"),
    );
    expect(s3.errorOutputPrefix).to.match(/^ingest-errors\/!\{firehose:error-output-type\}\//);
    expect(s3.kmsKeyArn).to.match(/^arn:aws:kms:/);
    const logs = p.named("lethe-ingest-logs").inputs;
    expect(logs.retentionInDays).to.equal(configDefaults.logRetentionDays);
    expect(logs.kmsKeyId).to.match(/^arn:aws:kms:/);
  });

  it("gives the Firehose role only what delivery needs, scoped to our bucket, key, table and log group", () => {
    const policy = parsed(p.named("lethe-ingest-policy"), "policy");
    for (const s of policy.Statement) {
      for (const a of [s.Action].flat()) expect(a).to.not.match(/\*/);
      for (const r of [s.Resource].flat()) expect(r).to.not.equal("*");
    }
  });

  it("creates every erasure table on-demand, CMK-encrypted, with PITR, TTL and the GDPR tag", () => {
    const tables = p.ofType("aws:dynamodb/table:Table");
    expect(tables.map((t) => t.inputs.tags["lethe:table"]).sort()).to.deep.equal(
      Object.keys(tableShapes).sort(),
    );
    for (const t of tables) {
      expect(t.inputs.billingMode).to.equal("PAY_PER_REQUEST");
      expect(t.inputs.serverSideEncryption.enabled).to.equal(true);
      expect(t.inputs.serverSideEncryption.kmsKeyArn).to.match(/^arn:aws:kms:/);
      expect(t.inputs.pointInTimeRecovery.enabled).to.equal(true);
      expect(t.inputs.ttl).to.deep.equal({ attributeName: "ttl", enabled: true });
      expect(t.inputs.tags.gdpr).to.equal("true");
      expect(t.inputs.deletionProtectionEnabled).to.equal(true);
    }
    const locks = p.named("lethe-tables-locks").inputs;
    expect([locks.hashKey, locks.rangeKey]).to.deep.equal(["pk", "sk"]);
  });

  it("encrypts the purge queue and its DLQ, redriving after the configured receive count", () => {
    const q = p.named("lethe-purge-queue").inputs;
    const dlq = p.named("lethe-purge-dlq").inputs;
    expect(q.kmsMasterKeyId).to.match(/^arn:aws:kms:/);
    expect(dlq.kmsMasterKeyId).to.match(/^arn:aws:kms:/);
    const redrive = JSON.parse(q.redrivePolicy);
    expect(redrive.maxReceiveCount).to.equal(configDefaults.purgeQueueMaxReceiveCount);
    expect(redrive.deadLetterTargetArn).to.match(/lethe-purge-dlq/);
    expect(parsed(p.named("lethe-purge-queue-tls-only"), "policy").Statement[0].Effect).to.equal("Deny");
  });

  it("encrypts the alert topic, alarms on the DLQ, and subscribes no e-mail by default", () => {
    const topic = p.named("lethe-alerts-topic").inputs;
    expect(topic.kmsMasterKeyId).to.match(/^arn:aws:kms:/);
    expect(p.ofType("aws:sns/topicSubscription:TopicSubscription")).to.have.length(0);
    const alarm = p.named("lethe-alerts-purge-dlq-not-empty").inputs;
    expect(alarm.threshold).to.equal(0);
    expect(alarm.alarmActions).to.have.length(1);
  });

  it("tags every taggable resource with the one tag set", () => {
    const taggable = p.resources.filter((r) => r.inputs.tags !== undefined);
    expect(taggable.length).to.be.greaterThan(15);
    for (const r of taggable) {
      expect(r.inputs.tags, r.name).to.include({ project: "lethe", stack: "dev", gdpr: "true" });
    }
  });
});

describe("infra: configuration", () => {
  it("flows changed settings into the resources", async () => {
    const p = await build({
      noncurrentVersionExpirationDays: 2,
      athenaBytesScannedCutoff: 50 * 1024 ** 2,
      purgeQueueMaxReceiveCount: 9,
      alertEmail: "privacy-ops@example.com",
      deletionProtection: false,
      manageGlueCatalogEncryption: false,
    });
    const rule = p.named("lethe-lake-data-lifecycle").inputs.rules[0];
    expect(rule.noncurrentVersionExpiration.noncurrentDays).to.equal(2);
    expect(
      p.ofType("aws:athena/workgroup:Workgroup")[0].inputs.configuration.bytesScannedCutoffPerQuery,
    ).to.equal(50 * 1024 ** 2);
    expect(JSON.parse(p.named("lethe-purge-queue").inputs.redrivePolicy).maxReceiveCount).to.equal(9);
    const sub = p.ofType("aws:sns/topicSubscription:TopicSubscription");
    expect(sub.map((s) => [s.inputs.protocol, s.inputs.endpoint])).to.deep.equal([
      ["email", "privacy-ops@example.com"],
    ]);
    expect(p.named("lethe-tables-locks").inputs.deletionProtectionEnabled).to.equal(false);
    expect(p.ofType("aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings")).to.have.length(
      0,
    );
  });

  it("rejects noncurrent-version expiry that is not shorter than the erasure deadline, naming the setting", () => {
    expect(() => validateConfig({ ...configDefaults, noncurrentVersionExpirationDays: 30 }))
      .to.throw(
        ConfigError,
        /lethe:noncurrentVersionExpirationDays: must be shorter than lethe:erasureDeadlineDays \(30\)/,
      )
      .with.property("setting", "noncurrentVersionExpirationDays");
  });

  for (const [setting, value, message] of [
    [
      "athenaBytesScannedCutoff",
      1000,
      /lethe:athenaBytesScannedCutoff: must be a whole number from 10485760/,
    ],
    ["purgeQueueMaxReceiveCount", 0, /lethe:purgeQueueMaxReceiveCount/],
    [
      "ingestErrorRetentionDays",
      30,
      /lethe:ingestErrorRetentionDays: must be shorter than lethe:erasureDeadlineDays/,
    ],
    ["alertEmail", "not-an-address", /lethe:alertEmail: must be an e-mail address/],
    ["logRetentionDays", 10, /lethe:logRetentionDays: must be one of the values CloudWatch Logs accepts/],
    ["firehoseBufferingSizeMb", 5, /lethe:firehoseBufferingSizeMb/],
  ] as const) {
    it(`rejects ${setting}=${JSON.stringify(value)}`, () => {
      expect(() => validateConfig({ ...configDefaults, [setting]: value })).to.throw(ConfigError, message);
    });
  }

  it("reads the stack's config through the real entry point and fails the preview on a bad value", async () => {
    installPulumiMocks({ "lethe:noncurrentVersionExpirationDays": "45" });
    const entry = require.resolve("../../infra/index");
    delete require.cache[entry];
    expect(() => require(entry)).to.throw(/lethe:noncurrentVersionExpirationDays/);
  });

  it("exports the stack outputs a reviewer needs, from the entry point with Pulumi.dev.yaml's settings", async () => {
    const dev = yaml.load(fs.readFileSync(path.join(__dirname, "../../Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, string>;
    };
    const p = installPulumiMocks(dev.config);
    const entry = require.resolve("../../infra/index");
    delete require.cache[entry];
    const mod = require(entry);
    expect(Object.keys(mod)).to.include.members([
      "lakeBucket",
      "glueDatabase",
      "glueTable",
      "athenaWorkgroup",
      "ingestStream",
      "requestsTable",
      "indexTable",
      "optOutTable",
      "locksTable",
      "errorsTable",
      "purgeQueueUrl",
      "purgeDeadLetterQueueUrl",
      "purgeFunction",
      "errorsFunction",
      "ledgerTable",
      "alertTopicArn",
    ]);
    expect(await valueOf(mod.purgeQueueUrl)).to.match(/^https:\/\/sqs\./);
    await settle(p);
    const rule = p.named("lethe-lake-data-lifecycle").inputs.rules[0];
    expect(rule.noncurrentVersionExpiration.noncurrentDays).to.equal(
      Number(dev.config["lethe:noncurrentVersionExpirationDays"]),
    );
  });
});
