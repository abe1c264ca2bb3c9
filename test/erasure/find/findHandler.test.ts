// The find function's handler as the console runs it, on the emulator: Athena's answer for every
// mapper, the plan written under erasure-plans/, a reply of counts without any ID.
import { expect } from "chai";
import { CreateWorkGroupCommand } from "@aws-sdk/client-athena";
import { CreateDatabaseCommand, CreateTableCommand } from "@aws-sdk/client-glue";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { makeAthenaClient, makeGlueClient, makeS3Client } from "../../../runtime/aws/clients";
import { envNames } from "../../../runtime/contracts/env";
import { DataMapper } from "../../../runtime/contracts/mappers";
import { createFindHandler, FindReply, parseFindEvent } from "../../../runtime/handlers/find";
import { sharedLocalStack } from "../../support/localStack";
import { queueAthenaRows } from "../../support/athenaEmulation";
import { manifestFor } from "./lake";

describe("find: the find function's handler (emulator)", function () {
  this.timeout(120_000);

  it("plans a batch from Athena's answer, writes the plan and replies with counts only", async () => {
    const s3 = makeS3Client();
    const glue = makeGlueClient();
    const stack = await sharedLocalStack();
    const db = `handler_${process.pid}`;
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: db } }));
    await glue.send(
      new CreateTableCommand({
        DatabaseName: db,
        TableInput: {
          Name: "events",
          PartitionKeys: [{ Name: "dt", Type: "string" }],
          StorageDescriptor: {
            Location: `s3://${stack.lakeBucket}/events/`,
            Columns: [{ Name: "customer_id", Type: "string" }],
          },
        },
      }),
    );
    const workGroup = `lethe-handler-${process.pid}`;
    await makeAthenaClient().send(
      new CreateWorkGroupCommand({
        Name: workGroup,
        Configuration: { ResultConfiguration: { OutputLocation: `s3://${stack.lakeBucket}/athena/` } },
      }),
    );
    const mapper: DataMapper = {
      name: "events",
      glueDatabase: db,
      glueTable: "events",
      location: `s3://${stack.lakeBucket}/events/`,
      idColumns: ["customer_id"],
      format: "parquet",
      partitionColumns: ["dt"],
    };
    const paths = [
      `s3://${stack.lakeBucket}/events/dt=2024-03-01/a.parquet`,
      `s3://${stack.lakeBucket}/events/dt=2024-03-02/b.parquet`,
    ];
    await queueAthenaRows("$path", paths);
    const handler = createFindHandler({
      [envNames.dataMappers]: JSON.stringify([mapper]),
      [envNames.indexTable]: stack.indexTable,
      [envNames.athenaWorkgroup]: workGroup,
      [envNames.glueDatabase]: db,
      [envNames.lakeBucket]: stack.lakeBucket,
      [envNames.kmsKeyArn]: stack.kmsKeyArn,
      [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn,
    });
    const manifest = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [
      ["cust-secret-1"],
      ["cust-secret-2"],
    ]);
    const reply = (await handler({ manifest })) as FindReply;
    expect(reply.summary).to.include({ objects: 2, versions: 2, expectedRows: 0 });
    expect(reply.plan.key).to.equal(`erasure-plans/batch_id=${reply.batchId}/plan.json`);
    const stored = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: reply.plan.bucket, Key: reply.plan.key }))
      ).Body!.transformToString(),
    );
    expect(
      stored.mappers[0].objects.map((o: { key: string }) => `s3://${stack.lakeBucket}/${o.key}`),
    ).to.deep.equal(paths);
    expect(JSON.stringify(reply) + JSON.stringify(stored)).to.not.contain("cust-secret");
    expect(reply.message).to.match(/^batch \S+: 2 object\(s\), 2 version\(s\)/);
  });

  it("searches only the mappers whose key has the batch's shape, and refuses a shape no mapper has", async () => {
    const s3 = makeS3Client();
    const glue = makeGlueClient();
    const stack = await sharedLocalStack();
    const db = `shapes_${process.pid}`;
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: db } }));
    const table = (name: string, Columns: { Name: string; Type: string }[]) =>
      glue.send(
        new CreateTableCommand({
          DatabaseName: db,
          TableInput: {
            Name: name,
            PartitionKeys: [{ Name: "dt", Type: "string" }],
            StorageDescriptor: { Location: `s3://${stack.lakeBucket}/${name}/`, Columns },
          },
        }),
      );
    await table("events", [{ Name: "customer_id", Type: "string" }]);
    await table("orders", [
      { Name: "tenant", Type: "string" },
      { Name: "user", Type: "struct<id:bigint>" },
    ]);
    const workGroup = `lethe-shapes-${process.pid}`;
    await makeAthenaClient().send(
      new CreateWorkGroupCommand({
        Name: workGroup,
        Configuration: { ResultConfiguration: { OutputLocation: `s3://${stack.lakeBucket}/athena/` } },
      }),
    );
    const mapper = (name: string, idColumns: string[], format: DataMapper["format"]): DataMapper => ({
      name,
      glueDatabase: db,
      glueTable: name,
      location: `s3://${stack.lakeBucket}/${name}/`,
      idColumns,
      format,
      partitionColumns: ["dt"],
    });
    const handler = createFindHandler({
      [envNames.dataMappers]: JSON.stringify([
        mapper("events", ["customer_id"], "parquet"),
        mapper("orders", ["tenant", "user.id"], "jsonl.gz"),
      ]),
      [envNames.indexTable]: stack.indexTable,
      [envNames.athenaWorkgroup]: workGroup,
      [envNames.glueDatabase]: db,
      [envNames.lakeBucket]: stack.lakeBucket,
      [envNames.kmsKeyArn]: stack.kmsKeyArn,
      [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn,
    });
    const paths = [`s3://${stack.lakeBucket}/orders/dt=2024-03-01/a.jsonl.gz`];
    await queueAthenaRows("$path", paths);
    const composite = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [["acme", "900017"]]);
    const reply = (await handler({ manifest: composite })) as FindReply;
    expect(reply.summary.mappers.map((m) => [m.mapper, m.objects])).to.deep.equal([["orders", 1]]);

    const threeParts = await manifestFor(s3, stack.lakeBucket, stack.kmsKeyArn, [["a", "b", "c"]]);
    let refused: Error | undefined;
    await handler({ manifest: threeParts }).catch((e: Error) => (refused = e));
    expect(refused?.name).to.equal("NoMapperForKeysError");
    expect(refused?.message).to.match(/no data mapper has a key of 3 column\(s\)/);
  });

  it("refuses a console event without a manifest, or with a bad since", () => {
    expect(() => parseFindEvent({})).to.throw(/or \{"manifest"/);
    expect(() => parseFindEvent({ manifest: { bucket: "b", key: "k" }, since: "yesterday" })).to.throw(
      /since must be an ISO time/,
    );
  });
});
