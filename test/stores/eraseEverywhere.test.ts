// One `lethe erase --wait` over the lake and a store of every kind, as an operator runs it against a
// local stack provisioned from a stack config with `lethe:stores`: the lake (Parquet in the emulator),
// a DynamoDB profile table reached through a GSI (moto), a parent and a child table in this machine's
// PostgreSQL, a sync and an async subsystem (HTTP doubles on 127.0.0.1). Every function is the
// program's packaged one; the state machine is the program's definition with the stores' branches.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { Client } from "pg";
import { makeDynamoDbClient, makeS3Client, makeSecretsManagerClient } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import type { StoreConfig } from "../../runtime/contracts/stores";
import { erase } from "../../cli/work/erasureCommands";
import { provisionLocalStack, writeOutputsFile } from "../../local/stack";
import { fetchReport } from "../../cli/work/reports";
import { writeSampleLake } from "../../local/fixtures/sampleLake";
import {
  connectLocalPostgres,
  createCustomerTables,
  createIndexedProfileTable,
  localPostgresSecret,
  putSecret,
  scratchSchema,
  seedCustomer,
} from "../../local/fixtures/storeFixtures";
import { startSubsystemDouble, SubsystemDouble } from "../support/subsystemDouble";
import { projectWithStack } from "../support/projectStack";

describe("stores: one lethe erase --wait over the lake and every kind of store", function () {
  this.timeout(900_000);
  const run = randomUUID().slice(0, 8);
  const ddb = makeDynamoDbClient();
  const signingKey = `signing-${run}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-erase-everywhere-"));
  const profileTable = `lethe-e2e-profiles-${run}`;
  const customers = Array.from({ length: 30 }, (_, i) => `all-${run}-${i}`);
  const subjects = [customers[2], customers[11]];
  const keeper = customers[5];
  const doubles: SubsystemDouble[] = [];
  let db: Client;
  let schema: { name: string; drop(): Promise<void> };
  let stack: LocalStack;
  let outputs: string;

  before(async () => {
    const sm = makeSecretsManagerClient();
    await createIndexedProfileTable(ddb, profileTable);
    db = await connectLocalPostgres();
    schema = await scratchSchema(db, "lethe_e2e");
    await createCustomerTables(db, schema.name);
    for (const c of [...subjects, keeper])
      await seedCustomer({ ddb, profileTable, db, schema: schema.name }, c, 2);
    const sync = await startSubsystemDouble({ behaviour: "sync", secret: signingKey });
    const async = await startSubsystemDouble({ behaviour: "async", secret: signingKey, pollsUntilDone: 3 });
    doubles.push(sync, async);
    const connectionSecret = await putSecret(sm, `lethe-e2e/pg-${run}`, localPostgresSecret());
    const signingSecret = await putSecret(sm, `lethe-e2e/signing-${run}`, signingKey);
    const stores: StoreConfig[] = [
      {
        name: "profiles",
        kind: "dynamodb",
        owner: "profiles-team@example.com",
        table: profileTable,
        idAttribute: "customer_id",
        indexName: "by-customer",
        partitionKey: "profile_id",
      },
      {
        name: "accounts",
        kind: "postgres",
        owner: "accounts-team@example.com",
        connectionSecret,
        ssl: false,
        tables: [
          {
            table: `${schema.name}.customers`,
            idColumn: "id",
            children: [{ table: `${schema.name}.orders`, column: "customer_id", parentColumn: "id" }],
          },
        ],
        network: { vpcId: "vpc-local", subnetIds: ["subnet-local"], securityGroupIds: ["sg-local"] },
      },
      {
        name: "crm",
        kind: "subsystem",
        owner: "crm@example.com",
        url: sync.url,
        mode: "sync",
        signingSecret,
      },
      {
        name: "archive",
        kind: "subsystem",
        owner: "archive@example.com",
        url: async.url,
        mode: "async",
        signingSecret,
      },
    ];
    const program = projectWithStack(dir, "everywhere", {
      "lethe:stores": JSON.stringify(stores),
      "lethe:subsystemLoopbackHttp": "true",
    });
    stack = (await provisionLocalStack({ stack: "everywhere", program })).stack;
    outputs = path.join(dir, "local.json");
    writeOutputsFile(outputs, stack);
  });
  after(async () => {
    await Promise.all(doubles.map((d) => d.close()));
    await schema?.drop();
    await db?.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("removes the subjects from the lake, DynamoDB (GSI), PostgreSQL (parent and child) and both subsystems; the report lists all five, verify is zero", async () => {
    expect(stack.program).to.equal(dir);
    const objects = await writeSampleLake(makeS3Client(), stack.lakeBucket, {
      days: [new Date().toISOString().slice(0, 10)],
      objectsPerDay: 2,
      rowsPerObject: 300,
      rowGroupRows: 150,
      customers,
      runId: run,
    });
    const expectedRows = objects.reduce(
      (n, o) => n + subjects.reduce((m, id) => m + (o.rowsByCustomer.get(id) ?? 0), 0),
      0,
    );
    expect(expectedRows).to.be.greaterThan(0);

    const result = await erase(
      { ids: subjects, reason: "everywhere", requestedBy: "test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0 },
    );
    expect(result.status?.state, JSON.stringify(result.status)).to.equal("COMPLETED");
    expect(result.ok).to.equal(true);

    const profiles = ((await ddb.send(new ScanCommand({ TableName: profileTable }))).Items ?? []).map(
      (i) => i.customer_id.S,
    );
    expect(profiles.sort()).to.deep.equal([keeper, keeper]);
    const left = await db.query(
      `SELECT (SELECT count(*) FROM "${schema.name}".customers WHERE id = ANY($1)) AS parents,
              (SELECT count(*) FROM "${schema.name}".orders WHERE customer_id = ANY($1)) AS children,
              (SELECT count(*) FROM "${schema.name}".orders WHERE customer_id = $2) AS kept`,
      [subjects, keeper],
    );
    expect(left.rows[0]).to.deep.equal({ parents: "0", children: "0", kept: "2" });
    const [sync, async] = doubles;
    expect([...sync.jobs.values()].map((j) => j.subjects)).to.deep.equal([2]);
    expect([...async.jobs.values()].map((j) => j.subjects)).to.deep.equal([2]);
    expect([...async.jobs.values()][0].polls).to.be.greaterThan(3);

    const report = await fetchReport(result.request.requestId, { stackOutputs: outputs });
    expect(report.targets.map((t) => [t.kind, t.name, t.outcome]).sort()).to.deep.equal(
      [
        ["dynamodb", "profiles", "erased"],
        ["lake", "events", "erased"],
        ["postgres", "accounts", "erased"],
        ["subsystem", "archive", "erased"],
        ["subsystem", "crm", "erased"],
      ].sort(),
    );
    const rows = Object.fromEntries(report.targets.map((t) => [t.name, t.rowsRemoved]));
    expect(rows).to.deep.equal({ events: expectedRows, profiles: 4, accounts: 6, crm: 2, archive: 2 });
    expect(report.verification?.remainingRows).to.equal(0);
    expect(JSON.stringify(report)).not.to.include(subjects[0]);
  });
});
