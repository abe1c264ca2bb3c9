// The Athena finder's client path on the emulator: the catalog read, the query it starts (no ID in
// the text), polling, every page of results, bytes scanned, failures and the workgroup's cutoff,
// throttling, and bad input refused before any query starts.
import { expect } from "chai";
import { AthenaClient, CreateWorkGroupCommand } from "@aws-sdk/client-athena";
import { CreateDatabaseCommand, CreateTableCommand } from "@aws-sdk/client-glue";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { makeAthenaClient, makeGlueClient, makeS3Client } from "../../../runtime/aws/clients";
import { DataMapper } from "../../../runtime/contracts/mappers";
import { athenaFinder, FindInputError, FindQueryError } from "../../../runtime/erasure/find";
import { uploadMarginMs } from "../../../runtime/erasure/find/writtenSince";
import type { LocalStack } from "../../../runtime/contracts/stack";
import { sharedLocalStack } from "../../support/localStack";
import { athenaPollsBeforeDone, emulate, queueAthenaRows } from "../../support/athenaEmulation";
import { manifestFor, rawManifest } from "./lake";

/** The error a promise rejects with (undefined when it resolves). */
const failureOf = (p: Promise<unknown>): Promise<Error | undefined> =>
  p.then(
    () => undefined,
    (e: Error) => e,
  );

describe("find: the Athena finder's client path (emulator)", function () {
  this.timeout(120_000);
  const s3 = makeS3Client();
  const glue = makeGlueClient();
  let stack: LocalStack;
  const db = `shop_${process.pid}`;
  const mapper: DataMapper = {
    name: "orders",
    glueDatabase: db,
    glueTable: "orders",
    location: "s3://shop-lake/orders/",
    idColumns: ["tenant", "user.id"],
    format: "parquet",
    partitionColumns: ["dt"],
  };
  const settings = { workGroup: "lethe-test", manifestDatabase: "lethe_test", pollMs: 5, maxPollMs: 20 };
  const finderWith = (athena: AthenaClient) => athenaFinder({ athena, glue, s3 }, settings);
  const keys = [
    ["t1", "900017"],
    ["t2", "-5"],
  ];

  before(async () => {
    stack = await sharedLocalStack();
    await makeAthenaClient()
      .send(
        new CreateWorkGroupCommand({
          Name: settings.workGroup,
          Configuration: { ResultConfiguration: { OutputLocation: `s3://${stack.lakeBucket}/athena/` } },
        }),
      )
      .catch((e: Error) => {
        if (!/already exists/i.test(e.message)) throw e;
      });
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: db } }));
    await glue.send(
      new CreateTableCommand({
        DatabaseName: db,
        TableInput: {
          Name: "orders",
          PartitionKeys: [{ Name: "dt", Type: "string" }],
          StorageDescriptor: {
            Location: mapper.location,
            Columns: [
              { Name: "customer_id", Type: "string" },
              { Name: "tenant", Type: "varchar(16)" },
              { Name: "user", Type: "struct<id:bigint,country:string>" },
              { Name: "amount", Type: "double" },
              { Name: "event_time", Type: "timestamp" },
              { Name: "account_no", Type: "int" },
            ],
          },
        },
      }),
    );
  });
  afterEach(() => athenaPollsBeforeDone(undefined));

  it("starts one parameterised query joined with the manifest, polls it, reads every page", async () => {
    const paths = Array.from(
      { length: 2500 },
      (_, i) => `s3://shop-lake/orders/dt=2024-03-0${1 + (i % 6)}/part-${i}.parquet`,
    );
    await queueAthenaRows("$path", [...paths, paths[0]]);
    await athenaPollsBeforeDone(2);
    const athena = makeAthenaClient();
    const calls = emulate(athena, {
      pageSize: 1000,
      execution: (q) => ({ ...q, Statistics: { ...q.Statistics, DataScannedInBytes: 7_340_032 } }),
    });
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, keys);
    const found = await finderWith(athena).findObjects(mapper, manifest);
    expect(found.paths).to.deep.equal([...paths].sort());
    expect(found.bytesScanned).to.equal(7_340_032);
    expect(calls.sent.filter((c) => c === "GetQueryResults")).to.have.length(3);
    expect(calls.sent.filter((c) => c === "GetQueryExecution").length).to.be.at.least(3);
    expect(calls.started).to.have.length(1);
    const { QueryString: sql, ExecutionParameters: params } = calls.started[0];
    expect(sql).to.equal(
      `SELECT DISTINCT t."$path" FROM "${db}"."orders" AS t JOIN "lethe_test"."erasure_manifests" AS m ` +
        `ON t."tenant" = m."id"[1] AND t."user"."id" = TRY_CAST(m."id"[2] AS BIGINT) WHERE m."batch_id" = ?`,
    );
    expect(params).to.deep.equal([`'${/batch_id=([^/]+)/.exec(manifest.key)![1]}'`]);
    for (const k of keys.flat()) expect(`${sql} ${params}`).to.not.contain(k);
  });

  it("matches an ID inside an array with any_match, typed from the catalog's element type", async () => {
    await glue.send(
      new CreateTableCommand({
        DatabaseName: db,
        TableInput: {
          Name: "contacts",
          StorageDescriptor: {
            Location: "s3://shop-lake/contacts/",
            Columns: [
              { Name: "customer_ids", Type: "array<string>" },
              { Name: "contacts", Type: "array<struct<customer_id:bigint,role:string>>" },
              { Name: "note", Type: "string" },
            ],
          },
        },
      }),
    );
    const arrays: DataMapper = {
      ...mapper,
      name: "contacts",
      glueTable: "contacts",
      location: "s3://shop-lake/contacts/",
      idColumns: ["customer_ids[]", "contacts[].customer_id"],
      partitionColumns: [],
    };
    await queueAthenaRows("$path", ["s3://shop-lake/contacts/part-0.parquet"]);
    const athena = makeAthenaClient();
    const calls = emulate(athena, {});
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [["c1", "42"]]);
    const found = await finderWith(athena).findObjects(arrays, manifest);
    expect(found.paths).to.deep.equal(["s3://shop-lake/contacts/part-0.parquet"]);
    expect(calls.started[0].QueryString).to.equal(
      `SELECT DISTINCT t."$path" FROM "${db}"."contacts" AS t JOIN "lethe_test"."erasure_manifests" AS m ` +
        `ON any_match(t."customer_ids", x -> x = m."id"[1]) ` +
        `AND any_match(t."contacts", x -> x."customer_id" = TRY_CAST(m."id"[2] AS BIGINT)) WHERE m."batch_id" = ?`,
    );
    // An ID the element type cannot hold is refused before any query.
    const bad = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [["c1", "x42"]]);
    let err: unknown;
    try {
      await finderWith(athena).findObjects(arrays, bad);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.match(/not a valid bigint for ID column 'contacts\[\]\.customer_id'/);
    expect(calls.started).to.have.length(1);
  });

  it("re-finds only the partitions objects written since a time are in, old ones too, as parameters", async () => {
    const prefix = `athena-since-${process.pid}/orders/`;
    const here = { ...mapper, location: `s3://${stack.lakeBucket}/${prefix}` };
    const put = (key: string) =>
      s3.send(new PutObjectCommand({ Bucket: stack.lakeBucket, Key: prefix + key, Body: "x" }));
    await put("dt=2024-03-01/before.parquet");
    // S3 stamps writes to the second: the objects above are over a second older than `since`.
    await new Promise((r) => setTimeout(r, 1100));
    const since = new Date(Math.floor(Date.now() / 1000) * 1000 + uploadMarginMs);
    await put("dt=2024-03-05/late.parquet");
    await put("dt=2023-12-31/late-into-an-old-partition.parquet");
    await put("dt=2024-03-05/another.parquet");
    await put("dt=2024-01-01/planned.parquet");
    const checked = new Set([`s3://${stack.lakeBucket}/${prefix}dt=2024-01-01/planned.parquet`]);
    await queueAthenaRows("$path", []);
    const athena = makeAthenaClient();
    const calls = emulate(athena, {});
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, keys);
    const found = await finderWith(athena).findObjects(here, manifest, { since, checked });
    expect(found.paths).to.deep.equal([]);
    expect(calls.started).to.have.length(1);
    expect(calls.started[0].QueryString).to.match(/ AND t\."dt" IN \(\?, \?\)$/);
    expect(calls.started[0].ExecutionParameters!.slice(1)).to.deep.equal(["'2023-12-31'", "'2024-03-05'"]);

    // Nothing written since a later time (but what the caller checks itself): no query at all.
    const later = await finderWith(athena).findObjects(here, manifest, {
      since: new Date(Date.now() + uploadMarginMs + 60_000),
      checked,
    });
    expect(later).to.deep.equal({ paths: [], bytesScanned: 0 });
    expect(calls.started).to.have.length(1);
  });

  it("reports a query the workgroup's cutoff cancelled as a failure naming the mapper, not a partial answer", async () => {
    await queueAthenaRows("$path", ["s3://shop-lake/orders/dt=2024-03-01/a.parquet"]);
    const athena = makeAthenaClient();
    const calls = emulate(athena, {
      execution: (q) => ({
        ...q,
        Status: {
          ...q.Status,
          State: "CANCELLED",
          StateChangeReason: "Query cancelled! : Bytes scanned limit was exceeded",
        },
        Statistics: { ...q.Statistics, DataScannedInBytes: 10_485_760 },
      }),
    });
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, keys);
    const error = await failureOf(finderWith(athena).findObjects(mapper, manifest));
    expect(error).to.be.instanceOf(FindQueryError);
    expect((error as FindQueryError).cutoff).to.equal(true);
    expect(error!.message).to.match(
      /^mapper "orders": Athena query .* cancelled by the workgroup's bytes-scanned cutoff after 10485760 bytes/,
    );
    expect(calls.sent).to.not.include("GetQueryResults");
  });

  it("reports a failed query with Athena's reason", async () => {
    const athena = makeAthenaClient();
    emulate(athena, {
      execution: (q) => ({
        ...q,
        Status: { ...q.Status, State: "FAILED", StateChangeReason: "HIVE_BAD_DATA: bad file" },
      }),
    });
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, keys);
    const error = await failureOf(finderWith(athena).findObjects(mapper, manifest));
    expect(error).to.be.instanceOf(FindQueryError);
    expect((error as FindQueryError).cutoff).to.equal(false);
    expect(error!.message).to.match(/mapper "orders": Athena query \S+ failed: HIVE_BAD_DATA: bad file/);
  });

  it("retries throttled calls", async () => {
    await queueAthenaRows("$path", ["s3://shop-lake/orders/dt=2024-03-01/a.parquet"]);
    const athena = makeAthenaClient({ maxAttempts: 1 });
    const calls = emulate(athena, { throttle: { command: "StartQueryExecution", times: 2 } });
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, keys);
    const found = await athenaFinder({ athena, glue, s3 }, { ...settings }).findObjects(mapper, manifest);
    expect(found.paths).to.deep.equal(["s3://shop-lake/orders/dt=2024-03-01/a.parquet"]);
    expect(calls.sent.filter((c) => c === "StartQueryExecution")).to.have.length(3);
  });

  it("refuses bad input from the catalog and the manifest before starting any query", async () => {
    const athena = makeAthenaClient();
    const calls = emulate(athena, {});
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [["7"]]);
    const refused = async (m: DataMapper, pattern: RegExp, ref = manifest) => {
      const error = await failureOf(finderWith(athena).findObjects(m, ref));
      expect(error, String(pattern)).to.be.instanceOf(FindInputError);
      expect(error!.message).to.match(pattern);
    };
    await refused(
      { ...mapper, idColumns: ["missing"] },
      /mapper "orders": ID column 'missing' is not a column of/,
    );
    await refused({ ...mapper, idColumns: ["amount"] }, /ID column 'amount' has type double/);
    await refused({ ...mapper, idColumns: ["event_time"] }, /ID column 'event_time' has type timestamp/);
    await refused({ ...mapper, idColumns: ["user.country.x"] }, /'x' is not a field of a struct/);
    await refused({ ...mapper, glueTable: "nope" }, /Glue table .*\.nope does not exist/);
    await refused({ ...mapper, format: "orc" as never }, /format "orc" is not one of/);
    await refused(
      { ...mapper, idColumns: ["account_no"] },
      /part 1 is not a valid int/,
      await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [["3000000000"]]),
    );
    await refused(
      { ...mapper, idColumns: ["customer_id"] },
      /the batch has no subject IDs/,
      await rawManifest(s3, stack.lakeBucket, "\n"),
    );
    await refused(
      { ...mapper, partitionColumns: ["region"] },
      /partition column 'region' is not a partition key/,
    );
    expect(calls.sent).to.not.include("StartQueryExecution");
  });
});
