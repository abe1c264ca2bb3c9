// The data-mapper configuration docs/find.md shows, end to end: `events` keyed by one ID column
// (Parquet) and `orders` keyed by a composite key (`tenant`, `user.id`; gzipped JSON Lines in a bucket
// of its own). A local stack provisioned from that stack config, `lethe erase --wait` as an operator
// runs it: a one-part ID reaches `events`, a composite key reaches `orders`, each batch COMPLETED, and
// every version of every object holds no row of the subject while every other row is still there.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { scanObjectVersion } from "../../runtime/purge/objectPurge";
import { headObject, listKeyVersions } from "../../runtime/purge/s3Objects";
import { keyMatcher } from "../../runtime/subjects/matcher";
import { erase } from "../../cli/work/erasureCommands";
import { provisionLocalStack, writeOutputsFile } from "../../local/stack";
import { createBucketLike } from "../../local/stack/copies";
import { writeSampleLake } from "../../local/fixtures/sampleLake";
import { projectWithStack } from "../support/projectStack";

interface Order {
  tenant: string;
  user: { id: number; country: string };
  amount: number;
}

describe("erasure: the documented mixed data mappers (one-column events, composite orders), erase --wait", function () {
  this.timeout(900_000);
  const s3 = makeS3Client();
  const run = randomUUID().slice(0, 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-mixed-mappers-"));
  const salesBucket = `sales-lake-${run}`;
  const customers = Array.from({ length: 20 }, (_, i) => `mix-${run}-${i}`);
  const days = [0, 1].map((n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10));
  let stack: LocalStack;
  let outputs: string;
  let events: { key: string; rowsByCustomer: Map<string, number> }[];
  const orderKeys = days.map((d) => `orders/dt=${d}/orders-${run}.jsonl.gz`);

  before(async () => {
    const mappers = [
      {
        name: "events",
        glueTable: "events",
        idColumns: ["customer_id"],
        format: "parquet",
        partitionColumns: ["dt"],
      },
      {
        name: "orders",
        glueDatabase: "sales",
        glueTable: "orders",
        location: `s3://${salesBucket}/orders/`,
        idColumns: ["tenant", "user.id"],
        format: "jsonl.gz",
        partitionColumns: ["dt"],
      },
    ];
    const program = projectWithStack(dir, "mixed", { "lethe:dataMappers": JSON.stringify(mappers) });
    stack = (await provisionLocalStack({ stack: "mixed", program })).stack;
    outputs = path.join(dir, "local.json");
    writeOutputsFile(outputs, stack);
    await createBucketLike("lakeBucket", salesBucket, stack.kmsKeyArn);
    events = await writeSampleLake(s3, stack.lakeBucket, {
      days: [days[0]],
      objectsPerDay: 2,
      rowsPerObject: 200,
      rowGroupRows: 100,
      customers,
      runId: run,
    });
    // The same user id in two tenants: only one of them is the subject.
    for (const [i, key] of orderKeys.entries()) {
      const orders: Order[] = [];
      for (let n = 0; n < 30; n++) {
        orders.push({
          tenant: ["acme", "globex"][n % 2],
          user: { id: 900_017 + (n % 3), country: "DE" },
          amount: n + i,
        });
      }
      await s3.send(
        new PutObjectCommand({
          Bucket: salesBucket,
          Key: key,
          Body: gzipSync(orders.map((o) => JSON.stringify(o)).join("\n") + "\n"),
        }),
      );
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Every version of each order object, as its records. */
  async function orderVersions(): Promise<Order[][]> {
    const out: Order[][] = [];
    for (const key of orderKeys) {
      for (const v of (await listKeyVersions(s3, salesBucket, key)).all) {
        if (v.deleteMarker) continue;
        const o = await s3.send(
          new GetObjectCommand({ Bucket: salesBucket, Key: key, VersionId: v.versionId }),
        );
        const text = gunzipSync(Buffer.from(await o.Body!.transformToByteArray())).toString("utf8");
        out.push(
          text
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => JSON.parse(l) as Order),
        );
      }
    }
    return out;
  }

  /** Rows of `id` in every version of every events object. */
  async function eventRows(id: string): Promise<number> {
    let n = 0;
    for (const o of events) {
      for (const v of (await listKeyVersions(s3, stack.lakeBucket, o.key)).all) {
        if (v.deleteMarker) continue;
        const found = await scanObjectVersion(
          s3,
          await headObject(s3, stack.lakeBucket, o.key, v.versionId),
          { name: "events", format: "parquet" },
          keyMatcher(["customer_id"], [id]),
        );
        for (const k of found.matches.values()) n += k;
      }
    }
    return n;
  }

  it("erases a one-part ID from events and a composite key from orders, each COMPLETED, other rows kept", async () => {
    const subject = customers[3];
    expect(await eventRows(subject)).to.be.greaterThan(0);
    const byId = await erase(
      { ids: [subject], reason: "mixed mappers", requestedBy: "test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0 },
    );
    expect(byId.status?.state, JSON.stringify(byId.status)).to.equal("COMPLETED");
    expect(await eventRows(subject)).to.equal(0);
    expect(await eventRows(customers[4])).to.be.greaterThan(0);
    // orders was not rewritten: its key is not a one-part ID.
    expect((await orderVersions()).length).to.equal(orderKeys.length);

    const idsFile = path.join(dir, "composite.tsv");
    fs.writeFileSync(idsFile, "acme\t900017\n");
    const byKey = await erase(
      { ids: [], idsFile, reason: "mixed mappers", requestedBy: "test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0 },
    );
    expect(byKey.status?.state, JSON.stringify(byKey.status)).to.equal("COMPLETED");
    const versions = await orderVersions();
    expect(versions.length).to.equal(orderKeys.length);
    const all = versions.flat();
    expect(all.filter((o) => o.tenant === "acme" && o.user.id === 900_017)).to.deep.equal([]);
    // Every other order is still there: 30 per object less the subject's 5.
    expect(versions.map((v) => v.length)).to.deep.equal(orderKeys.map(() => 25));
    expect(all.filter((o) => o.tenant === "globex" && o.user.id === 900_017)).to.have.length(10);
    // events was not touched by the composite request.
    expect(await eventRows(customers[4])).to.be.greaterThan(0);
  });
});
