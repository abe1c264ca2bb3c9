// The store functions' deployed code: each factory closure-serialized as CallbackFunction does it,
// its requires checked against `dependencies`, and the PostgreSQL one loaded and run from that code
// against the machine's PostgreSQL and the emulator's Secrets Manager and S3.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand } from "@aws-sdk/client-sns";
import { Client } from "pg";
import { installPulumiMocks } from "../support/pulumiMocks";
import { storeFunctionFactories } from "../../infra/erasure/stores";
import { functionContents } from "../../infra/components/runtimePackage";
import { envNames } from "../../runtime/contracts/env";
import {
  makeDocumentClient,
  makeS3Client,
  makeSecretsManagerClient,
  makeSnsClient,
} from "../../runtime/aws/clients";
import { createBatch, getBatch } from "../../runtime/erasure/batches";
import { createTableLike } from "../../local/stack/copies";
import {
  connectLocalPostgres,
  localPostgresSecret,
  putSecret,
  scratchSchema,
} from "../../local/fixtures/storeFixtures";

const root = path.resolve(__dirname, "../..");
const dependencies = Object.keys(
  JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).dependencies,
);
const packageOf = (s: string) => (s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]);

describe("infra: the store functions' serialized code", () => {
  const dir = path.join(root, "tmp", `store-closures-${randomUUID().slice(0, 8)}`);
  const code: Record<string, string> = {};
  const contents: Record<string, string[]> = {};
  let db: Client;
  let schema: { name: string; drop(): Promise<void> };

  before(async () => {
    installPulumiMocks();
    for (const [kind, factory] of Object.entries(storeFunctionFactories)) {
      // As LetheFunction does: the runtime ships as compiled files the closure requires.
      contents[kind] = functionContents(kind, factory).packages;
      const closure = await pulumi.runtime.serializeFunction(factory, {
        serialize: () => true,
        exportName: "handler",
        isFactoryFunction: true,
        allowSecrets: true,
      });
      code[kind] = closure.text;
    }
    fs.mkdirSync(dir, { recursive: true });
    db = await connectLocalPostgres();
    schema = await scratchSchema(db);
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    delete process.env[envNames.store];
    delete process.env[envNames.alertTopicArn];
    delete process.env[envNames.ledgerTable];
    await schema.drop();
    await db.end();
  });

  it("requires its compiled handler, Node built-ins and dependencies only, and carries the store's packages", () => {
    const expected: Record<string, string[]> = {
      dynamodb: ["@aws-sdk/client-dynamodb", "@aws-sdk/client-sns", "@aws-sdk/client-s3"],
      postgres: ["pg", "@aws-sdk/client-secrets-manager"],
      subsystem: ["@aws-sdk/client-secrets-manager"],
    };
    for (const [kind, text] of Object.entries(code)) {
      expect(contents[kind], kind).to.include.members(expected[kind]).and.not.include("parquet-wasm");
      const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect(required, kind).to.include(
        `@lethe/runtime/handlers/stores${kind[0].toUpperCase()}${kind.slice(1)}.js`,
      );
      for (const spec of required) {
        const builtin = builtinModules.includes(spec.replace(/^node:/, ""));
        const ours = spec.startsWith("@lethe/runtime/");
        expect(builtin || ours || dependencies.includes(packageOf(spec)), `${kind}: ${spec}`).to.equal(true);
      }
      expect(text, kind).to.not.match(/require\("@pulumi\//);
      expect(text, kind).to.not.match(/require\("\.\.?\//);
    }
  });

  it("the PostgreSQL function erases and verifies from its serialized code, as the console and the state machine call it", async () => {
    const s3 = makeS3Client();
    const bucket = `lethe-test-store-closure-${Date.now().toString(36)}`;
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
      }),
    );
    const key = "erasure-manifests/batch_id=b9/manifest.jsonl";
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"id":["k-1"]}\n{"id":["k-2"]}\n' }),
    );
    await db.query(`CREATE TABLE "${schema.name}".t (cid text)`);
    await db.query(`INSERT INTO "${schema.name}".t VALUES ('k-1'), ('k-1'), ('k-2'), ('k-3')`);
    const secret = await putSecret(
      makeSecretsManagerClient(),
      `lethe-test/closure-${Date.now()}`,
      localPostgresSecret(),
    );
    const topic = await makeSnsClient().send(
      new CreateTopicCommand({ Name: `lethe-test-closure-${Date.now()}` }),
    );
    process.env[envNames.store] = JSON.stringify({
      name: "closure",
      kind: "postgres",
      owner: "o@example.com",
      connectionSecret: secret,
      ssl: false,
      tables: [{ table: `${schema.name}.t`, idColumn: "cid" }],
    });
    process.env[envNames.alertTopicArn] = topic.TopicArn!;
    fs.writeFileSync(path.join(dir, "postgres.js"), code.postgres);
    const handler = require(path.join(dir, "postgres.js")).handler;
    const event = (action: string) => ({
      batchId: "b9",
      action,
      store: "closure",
      manifest: { bucket, key },
    });
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let erased, verified, forgotten;
    const tables = {
      doc: makeDocumentClient(),
      ledgerTable: await createTableLike("ledger", `lethe-test-closure-ledger-${randomUUID().slice(0, 8)}`),
      requestsTable: "",
    };
    process.env[envNames.ledgerTable] = tables.ledgerTable;
    try {
      erased = await handler(event("erase"), {});
      verified = await handler(event("verify"), {});
      // The state machine's form: the batch record names the manifest and takes the outcome.
      await db.query(`INSERT INTO "${schema.name}".t VALUES ('k-2')`);
      await createBatch(tables, {
        batchId: "b9",
        requestIds: [],
        subjectCount: 2,
        manifest: { bucket, key },
        deadline: "2027-01-31T00:00:00.000Z",
        createdAt: new Date().toISOString(),
      });
      forgotten = await handler({ batchId: "b9", store: "closure", action: "forget" }, {});
    } finally {
      process.stdout.write = write;
    }
    expect(erased).to.include({ status: "OK", deleted: 3, subjects: 2 });
    expect(verified).to.include({ status: "COMPLETED", remaining: 0 });
    expect(Number((await db.query(`SELECT count(*) AS n FROM "${schema.name}".t`)).rows[0].n)).to.equal(1);
    expect(forgotten).to.deep.equal({
      done: true,
      nextAction: null,
      waitSeconds: 0,
      result: { store: "closure", kind: "postgres", ok: true, outcome: "erased", rowsRemoved: 1 },
    });
    expect((await getBatch(tables, "b9"))!.storeOutcomes).to.deep.equal({
      closure: { kind: "postgres", name: "closure", outcome: "erased", rowsRemoved: 1 },
    });
  });
});
