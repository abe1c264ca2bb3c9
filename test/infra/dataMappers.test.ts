// lethe:dataMappers: validation messages that name the mapper and field, the default mapping Lethe's
// own events table, and IAM statements confined to each mapper's location.
import { expect } from "chai";
import { buildLetheUnderMocks, installPulumiMocks, mockIdentity, valueOf } from "../support/pulumiMocks";
import { configDefaults, ConfigError, DataMapperSetting, validateConfig } from "../../infra/config";
import { assertOutsideLethe, mapperReadStatements } from "../../infra/erasure/dataMappers";
import { createLethe } from "../../infra/lethe";
import { dataMappersFromEnv, DataMapper } from "../../runtime/contracts/mappers";

const orders: DataMapperSetting = {
  name: "orders",
  glueDatabase: "sales",
  glueTable: "orders",
  location: "s3://sales-lake/orders/",
  idColumns: ["tenant", "user.id"],
  format: "jsonl.gz",
  partitionColumns: ["dt"],
};

function refused(mapper: unknown): string {
  try {
    validateConfig({ ...configDefaults, dataMappers: [mapper as DataMapperSetting] });
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("the mapper was accepted");
}

describe("infra: data mappers", () => {
  it("accepts an external table with a composite key and a dotted struct path", () => {
    const c = validateConfig({ ...configDefaults, dataMappers: [...configDefaults.dataMappers, orders] });
    expect(c.dataMappers.map((m) => m.name)).to.deep.equal(["events", "orders"]);
  });

  const leads: DataMapperSetting = {
    name: "leads",
    glueDatabase: "crm",
    glueTable: "leads",
    location: "s3://crm-lake/leads/",
    idColumns: ["tenant", "email"],
    format: "csv.gz",
    partitionColumns: ["dt"],
    csv: { serde: "OpenCSVSerde", columns: ["tenant", "email", "name"], skipHeaderLines: 1 },
  };

  it("accepts a CSV table with its options, and hands them to the functions", async () => {
    installPulumiMocks();
    const config = validateConfig({ ...configDefaults, dataMappers: [...configDefaults.dataMappers, leads] });
    const mappers = await valueOf(createLethe(config, "dev").dataMappers);
    const mapper = mappers.find((m) => m.name === "leads");
    expect(mapper?.csv).to.deep.equal(leads.csv);
    expect(dataMappersFromEnv({ M: JSON.stringify(mappers) }, "M")).to.deep.equal(mappers);
    const { csv: _, ...noOptions } = mapper as DataMapper;
    expect(() => dataMappersFromEnv({ M: JSON.stringify([noOptions]) }, "M")).to.throw(
      /data mapper "leads" is incomplete/,
    );
  });

  it("refuses a CSV mapper without usable options, naming the mapper and the field", () => {
    expect(refused({ ...leads, csv: undefined })).to.match(
      /mapper "leads": csv is required for the csv.gz format/,
    );
    expect(refused({ ...orders, csv: leads.csv })).to.match(
      /mapper "orders": csv is only for the csv and csv.gz formats/,
    );
    expect(refused({ ...leads, csv: { ...leads.csv, serde: "RegexSerDe" } })).to.match(
      /mapper "leads": csv options: serde must be one of OpenCSVSerde, LazySimpleSerDe/,
    );
    expect(refused({ ...leads, csv: { ...leads.csv, quote: "''" } })).to.match(
      /mapper "leads": csv options: quote must be one ASCII character/,
    );
    expect(refused({ ...leads, idColumns: ["tenant", "user_id"] })).to.match(
      /mapper "leads": idColumns must be among csv.columns \(user_id is not\)/,
    );
    expect(refused({ ...leads, partitionColumns: ["name"] })).to.match(
      /mapper "leads": partitionColumns must not be among csv.columns \(name\)/,
    );
  });

  it("accepts ID columns inside arrays (one [] per path) and hands them to the functions", async () => {
    installPulumiMocks();
    const arrays: DataMapperSetting = {
      ...orders,
      idColumns: ["tenant", "contacts[].customer_id"],
      strategy: "delete-row",
    };
    const config = validateConfig({
      ...configDefaults,
      dataMappers: [...configDefaults.dataMappers, arrays],
    });
    const mappers = await valueOf(createLethe(config, "dev").dataMappers);
    expect(mappers.find((m) => m.name === "orders")?.idColumns).to.deep.equal(arrays.idColumns);
    validateConfig({ ...configDefaults, dataMappers: [{ ...orders, idColumns: ["customer_ids[]"] }] });
    for (const path of ["a[].b[]", "a[][]", "[]", "a.[]", "a[]b"])
      expect(refused({ ...orders, idColumns: [path] }), path).to.match(
        /mapper "orders": idColumns must hold column names \(dotted paths into structs, and at most one array step/,
      );
    expect(refused({ ...leads, idColumns: ["tenant[]"] })).to.match(
      /mapper "leads": idColumns must not reach into arrays for CSV: a CSV field holds no array \(tenant\[\]\)/,
    );
  });

  it("accepts a mask mapper of JSON Lines, refuses it for other formats and without its ID columns masked", () => {
    const masked = {
      ...orders,
      strategy: "mask" as const,
      mask: {
        columns: { tenant: "hash" as const, "user.id": "hash" as const, "user.email": "null" as const },
      },
    };
    const c = validateConfig({ ...configDefaults, dataMappers: [masked] });
    expect(c.dataMappers[0].mask).to.deep.equal(masked.mask);
    expect(refused({ ...masked, format: "parquet" })).to.match(
      /mapper "orders": strategy mask is not supported for the parquet format yet \(only jsonl, jsonl.gz\)/,
    );
    expect(refused({ ...orders, strategy: "mask" })).to.match(/mapper "orders": mask must be \{"columns"/);
    expect(refused({ ...masked, mask: { columns: { tenant: "hash", "user.id": "blank" } } })).to.match(
      /mask must set user.id to "null" or "hash", not "blank"/,
    );
    expect(refused({ ...masked, mask: { columns: { "user.email": "null" } } })).to.match(
      /mask must mask every ID column not inside an array \(tenant, user.id is not masked\)/,
    );
    expect(refused({ ...masked, mask: { columns: { "tags[]": "null", tenant: "hash" } } })).to.match(
      /mask must name columns \(dotted paths into structs, no \[\]\); "tags\[\]" is not one/,
    );
    expect(refused({ ...orders, mask: masked.mask })).to.match(
      /mapper "orders": mask is only for strategy mask/,
    );
    const arrays = {
      ...masked,
      idColumns: ["customer_ids[]"],
      mask: { columns: { email: "null" as const } },
    };
    expect(validateConfig({ ...configDefaults, dataMappers: [arrays] }).dataMappers).to.have.length(1);
    expect(refused({ ...arrays, idColumns: ["tenant", "customer_ids[]"] })).to.match(
      /idColumns must be one column when it reaches into an array and the strategy is mask/,
    );
    expect(refused({ ...orders, strategy: "shred" })).to.match(
      /mapper "orders": strategy must be one of delete-row, mask, delete-object, got "shred"/,
    );
  });

  it("accepts a delete-object mapper with a key template naming each ID column once, and refuses bad templates", () => {
    const perUser = { ...orders, strategy: "delete-object" as const, keyTemplate: "{tenant}/{user.id}/*" };
    const c = validateConfig({ ...configDefaults, dataMappers: [perUser] });
    expect(c.dataMappers[0].keyTemplate).to.equal("{tenant}/{user.id}/*");
    const bad: [unknown, RegExp][] = [
      [undefined, /must be a non-empty string/],
      ["{tenant}/*", /must name \{user.id\} exactly once \(it does 0 time\(s\)\)/],
      ["{tenant}/{user.id}/{tenant}", /must name \{tenant\} exactly once \(it does 2 time\(s\)\)/],
      ["{tenant}/{email}/{user.id}", /names \{email\}, which is not one of idColumns/],
      ["*/{tenant}/{user.id}", /must put every \* after the last placeholder/],
      ["{tenant}{user.id}", /must follow \{tenant\} with a literal character \(or end there\), not \{/],
      ["{tenant}/{user.id}*", /must follow \{user.id\} with a literal character/],
      ["/{tenant}/{user.id}", /must be relative to the mapper's location/],
      ["{tenant/{user.id}", /names \{tenant\/\{user.id\}/],
    ];
    for (const [keyTemplate, message] of bad)
      expect(refused({ ...perUser, keyTemplate }), String(keyTemplate)).to.match(
        new RegExp(`mapper "orders": keyTemplate .*${message.source}.*strategy delete-object`),
      );
    expect(refused({ ...orders, keyTemplate: "{tenant}/{user.id}" })).to.match(
      /mapper "orders": keyTemplate is only for strategy delete-object/,
    );
    expect(refused({ ...perUser, idColumns: ["tenant[]"], keyTemplate: "{tenant[]}/*" })).to.match(
      /cannot name array ID column tenant\[\]/,
    );
    expect(refused({ ...perUser, retention: { days: 30, timeColumn: "ts" } })).to.match(
      /mapper "orders": retention is not supported with strategy delete-object/,
    );
  });

  it("refuses bad mappers with a message naming the mapper and the field", () => {
    expect(refused({ ...orders, name: "Orders!" })).to.match(
      /lethe:dataMappers: mapper "Orders!": name must match/,
    );
    expect(refused({ ...orders, format: "xml" })).to.match(
      /mapper "orders": format must be one of parquet, jsonl, jsonl.gz, csv, csv.gz, got "xml"/,
    );
    // ORC and Avro are refused with why, not as unknown words (docs/purge.md, "ORC and Avro").
    expect(refused({ ...orders, format: "orc" })).to.match(
      /mapper "orders": format is not supported: no JavaScript or WebAssembly library writes ORC.*Parquet/,
    );
    expect(refused({ ...orders, format: "avro" })).to.match(
      /mapper "orders": format is not supported: not yet: avsc/,
    );
    expect(refused({ ...orders, idColumns: [] })).to.match(
      /mapper "orders": idColumns must be a non-empty list/,
    );
    expect(refused({ ...orders, idColumns: ["user..id"] })).to.match(
      /mapper "orders": idColumns .*"user..id" is not one/,
    );
    expect(refused({ ...orders, location: undefined })).to.match(
      /mapper "orders": location must be the table's location/,
    );
    expect(refused({ ...orders, location: "s3://sales-lake/orders" })).to.match(/location must be/);
    expect(refused({ ...orders, glueDatabase: undefined, location: undefined })).to.match(
      /mapper "orders": glueDatabase is required/,
    );
    expect(refused({ ...orders, partitionColumns: ["tenant"] })).to.match(
      /must not repeat an ID column \(tenant\)/,
    );
    expect(refused({ ...orders, colour: "blue" })).to.match(/mapper "orders": unknown field "colour"/);
    expect(() =>
      validateConfig({ ...configDefaults, dataMappers: [orders, { ...orders, glueTable: "other" }] }),
    ).to.throw(/mapper "orders": name is used by another mapper/);
    expect(() => validateConfig({ ...configDefaults, dataMappers: [] })).to.throw(/non-empty list/);
  });

  it("maps Lethe's events table by default, with the program's database and location", async () => {
    installPulumiMocks();
    const stack = createLethe(validateConfig({ ...configDefaults }), "dev");
    const [mapper] = await valueOf(stack.dataMappers);
    const lake = mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-data").name;
    expect(mapper).to.deep.equal({
      name: "events",
      glueDatabase: "lethe_dev",
      glueTable: "events",
      location: `s3://${lake}/events/`,
      idColumns: ["customer_id"],
      format: "parquet",
      partitionColumns: ["dt"],
    });
    // What a function gets in its environment parses back to the same mappers.
    expect(dataMappersFromEnv({ M: JSON.stringify([mapper]) }, "M")).to.deep.equal([mapper]);
  });

  it("refuses a mapper whose location overlaps Lethe's own manifests or filter", () => {
    const at = (location: string): DataMapper => ({
      ...orders,
      location,
      glueDatabase: "db",
      partitionColumns: [],
    });
    expect(() => assertOutsideLethe(at("s3://lake/"), "lake")).to.throw(
      /mapper "orders": location s3:\/\/lake\/ overlaps Lethe's own s3:\/\/lake\/erasure-manifests\//,
    );
    expect(() => assertOutsideLethe(at("s3://lake/ingest-guard/opt-out-filter/x/"), "lake")).to.throw(
      /overlaps/,
    );
    expect(() => assertOutsideLethe(at("s3://lake/events/"), "lake")).not.to.throw();
    expect(() => assertOutsideLethe(at("s3://other/"), "lake")).not.to.throw();
  });

  it("grants read access to exactly the mapper's location and Glue table", () => {
    const mapper: DataMapper = {
      ...orders,
      glueDatabase: "sales",
      location: "s3://sales-lake/orders/",
      partitionColumns: ["dt"],
    };
    const statements = mapperReadStatements(mapper, {
      partition: "aws",
      region: "eu-west-1",
      account: "111122223333",
    });
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).to.deep.equal([
      "glue:GetPartitions",
      "glue:GetTable",
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:ListBucket",
      "s3:ListBucketVersions",
    ]);
    expect(statements[0].Resource).to.equal("arn:aws:s3:::sales-lake/orders/*");
    expect(statements[1].Resource).to.equal("arn:aws:s3:::sales-lake");
    expect(statements[1].Condition).to.deep.equal({ StringLike: { "s3:prefix": "orders/*" } });
    expect(statements[2].Resource).to.include("arn:aws:glue:eu-west-1:111122223333:table/sales/orders");
    expect(statements.every((s) => s.Effect === "Allow")).to.equal(true);
  });

  it("expires manifests before the deadline and catalogs them for Athena's join, partitioned by batch", async () => {
    const p = await buildLetheUnderMocks();
    const rules = p.named("lethe-lake-data-lifecycle").inputs.rules;
    const rule = rules.find((r: { id: string }) => r.id === "expire-erasure-manifests");
    expect(rule.filter.prefix).to.equal("erasure-manifests/");
    expect(rule.expiration.days)
      .to.equal(configDefaults.manifestRetentionDays)
      .and.below(configDefaults.erasureDeadlineDays);
    const t = p.named("lethe-lake-manifests").inputs;
    expect(t.parameters["projection.batch_id.type"]).to.equal("injected");
    expect(t.parameters["storage.location.template"]).to.match(
      /\/erasure-manifests\/batch_id=\$\{batch_id\}\/$/,
    );
    expect(t.storageDescriptor.columns).to.deep.include({
      name: "id",
      type: "array<string>",
      comment: t.storageDescriptor.columns[0].comment,
    });
    expect(() => validateConfig({ ...configDefaults, manifestRetentionDays: 30 })).to.throw(
      /manifestRetentionDays: must be shorter/,
    );
  });

  it("deploys the indexer reading exactly the mappers' locations, notified on their prefixes only", async () => {
    const p = await buildLetheUnderMocks({ dataMappers: [...configDefaults.dataMappers, orders] });
    const lake = mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-data").name;
    const notes = p.ofType("aws:s3/bucketNotification:BucketNotification");
    const byBucket = Object.fromEntries(
      notes.map((n) => [
        n.inputs.bucket,
        n.inputs.lambdaFunctions.map((f: { filterPrefix: string }) => f.filterPrefix),
      ]),
    );
    expect(byBucket).to.deep.equal({ [lake]: ["events/"], "sales-lake": ["orders/"] });
    for (const n of notes) {
      for (const f of n.inputs.lambdaFunctions) {
        expect(f.events).to.deep.equal(["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"]);
      }
    }
    const policy = JSON.parse(p.named("lethe-index-function-policy").inputs.policy);
    const objects = policy.Statement.filter((s: { Action: string[] }) =>
      [s.Action].flat().includes("s3:GetObject"),
    );
    expect(objects.map((s: { Resource: string }) => s.Resource).sort()).to.deep.equal(
      [`arn:aws:s3:::${lake}/events/*`, "arn:aws:s3:::sales-lake/orders/*"].sort(),
    );
    const fn = p.named("lethe-index-function-function").inputs;
    const env = fn.environment.variables;
    expect(JSON.parse(env.LETHE_DATA_MAPPERS).map((m: DataMapper) => m.location)).to.deep.equal([
      `s3://${lake}/events/`,
      "s3://sales-lake/orders/",
    ]);
    const permissions = p
      .ofType("aws:lambda/permission:Permission")
      .filter((r) => r.name.startsWith("lethe-index"));
    expect(permissions.map((r) => r.inputs.sourceArn).sort()).to.deep.equal(
      [`arn:aws:s3:::${lake}`, "arn:aws:s3:::sales-lake"].sort(),
    );
  });

  it("deploys the find function with Athena in Lethe's workgroup, the manifests, plans and mappers' locations only", async () => {
    const p = await buildLetheUnderMocks({ dataMappers: [...configDefaults.dataMappers, orders] });
    const lake = mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-data").name;
    const policy = JSON.parse(p.named("lethe-find-function-policy").inputs.policy);
    const bySid = Object.fromEntries(policy.Statement.map((s: { Sid: string }) => [s.Sid, s]));
    expect(bySid.RunFindQueries.Resource).to.match(/:workgroup\/lethe-dev$/);
    expect(bySid.ReadManifests.Resource).to.equal(`arn:aws:s3:::${lake}/erasure-manifests/*`);
    expect(bySid.WritePlans).to.deep.include({
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::${lake}/erasure-plans/*`,
    });
    expect(bySid.ReadordersObjects.Resource).to.equal("arn:aws:s3:::sales-lake/orders/*");
    expect(bySid.ReadeventsObjects.Resource).to.equal(`arn:aws:s3:::${lake}/events/*`);
    const reads = policy.Statement.filter((s: { Action: string[] }) =>
      [s.Action].flat().includes("s3:GetObject"),
    );
    expect(reads.map((s: { Resource: string }) => s.Resource).sort()).to.deep.equal(
      [
        `arn:aws:s3:::${lake}/events/*`,
        "arn:aws:s3:::sales-lake/orders/*",
        `arn:aws:s3:::${lake}/erasure-manifests/*`,
        `arn:aws:s3:::${mockIdentity("aws:s3/bucket:Bucket", "lethe-lake-athena-results").name}/athena/*`,
      ].sort(),
    );
    const env = p.named("lethe-find-function-function").inputs.environment.variables;
    expect(env.LETHE_ATHENA_WORKGROUP).to.equal("lethe-dev");
    expect(env.LETHE_GLUE_DATABASE).to.equal("lethe_dev");
  });
});
