// A batch of 10,000 subjects (lethe:batchMaxSubjects' default) through the find and verify tasks on
// the emulator, the embedded engine and the index metastore: the subjects are matched as a set, so
// every object holding one of them is planned and verified, whatever their place in the manifest, and
// no object holding only other customers is.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../../runtime/aws/clients";
import { envNames } from "../../../runtime/contracts/env";
import { DataMapper } from "../../../runtime/contracts/mappers";
import { createBatch, moveBatch } from "../../../runtime/erasure/batches";
import { writeManifest } from "../../../runtime/erasure/manifest";
import { backfillMapper } from "../../../runtime/erasure/metastore/backfill";
import { indexHasherFromEnv } from "../../../runtime/erasure/metastore/indexHasher";
import { readPlan } from "../../../runtime/erasure/plan";
import { findForBatch } from "../../../runtime/erasure/workflow/tasks/find";
import { parseVerifyInput, verifyBatch } from "../../../runtime/erasure/workflow/tasks/verify";
import { findingDepsFromEnv } from "../../../runtime/handlers/workflowDeps";
import { stackEnvironment } from "../../../local/erasure/environment";
import { sharedLocalStack } from "../../support/localStack";
import { idsInFiles, pyarrowFiles, tablesOf, tempDir } from "../workflowFixtures";

describe("find and verify: a batch of 10,000 subjects (emulator)", function () {
  this.timeout(900_000);

  it("plans and verifies exactly the objects holding any of them, the held subjects last in the manifest", async () => {
    const s3 = makeS3Client();
    const doc = makeDocumentClient();
    const stack = await sharedLocalStack();
    const dir = tempDir();
    try {
      const stamp = Date.now();
      const files = pyarrowFiles(dir, {
        days: ["2024-05-01", "2024-05-02"],
        perDay: 3,
        rows: 60,
        // Customers of their own (other lakes of the shared stack hold lower numbers).
        firstCustomer: 700_000,
        customers: 240,
        seed: 41,
        prefix: `large-${stamp}`,
      });
      const root = `large-batch-${stamp}/`;
      const held = idsInFiles(files.map((f) => f.file));
      const objects = files.map((f) => ({
        key: `${root}dt=${f.day}/${f.name}`,
        ids: new Set(held[f.file]),
      }));
      for (const [i, f] of files.entries()) {
        await s3.send(
          new PutObjectCommand({
            Bucket: stack.lakeBucket,
            Key: objects[i].key,
            Body: fs.readFileSync(f.file),
          }),
        );
      }
      const mapper: DataMapper = {
        name: "large",
        glueDatabase: "lethe",
        glueTable: "large",
        location: `s3://${stack.lakeBucket}/${root}`,
        idColumns: ["customer_id"],
        format: "parquet",
        partitionColumns: ["dt"],
      };
      const env = {
        ...stackEnvironment(stack),
        [envNames.dataMappers]: JSON.stringify([mapper]),
        [envNames.findEngine]: "embedded",
        [envNames.findCacheDir]: path.join(dir, "find-cache"),
      };
      await backfillMapper(
        {
          s3,
          doc,
          indexTable: stack.indexTable,
          mappers: [mapper],
          hashSubject: await indexHasherFromEnv(env),
        },
        mapper,
      );

      // Three customers of the first object only, after 9,997 customers no object holds.
      const only = [...objects[0].ids].filter((id) => objects.slice(1).every((o) => !o.ids.has(id)));
      const wanted = only.slice(0, 3);
      expect(wanted).to.have.length(3);
      const absent = Array.from({ length: 9_997 }, (_, i) => `c${9_000_000 + i}`);
      const subjects = [...absent, ...wanted];
      const holding = objects.filter((o) => wanted.some((id) => o.ids.has(id))).map((o) => o.key);
      expect(holding).to.deep.equal([objects[0].key]);

      const batchId = `large-${stamp}`;
      const manifest = await writeManifest(s3, {
        bucket: stack.lakeBucket,
        batchId,
        keys: subjects.map((id) => [id]),
        kmsKeyArn: stack.kmsKeyArn,
      });
      const tables = tablesOf(stack, doc);
      const now = new Date();
      await createBatch(tables, {
        batchId,
        requestIds: [],
        subjectCount: subjects.length,
        manifest,
        deadline: new Date(now.getTime() + 86_400_000).toISOString(),
        createdAt: now.toISOString(),
      });
      const deps = await findingDepsFromEnv(env)();

      const located = await findForBatch(deps, { batchId, round: 0 });
      const plan = await readPlan(s3, located.location);
      const planned = plan.mappers.flatMap((m) => m.objects);
      expect(planned.map((o) => o.key)).to.deep.equal(holding);
      expect(planned[0].current, "the engine found it").to.equal(true);
      expect(planned[0].versionIds, "the index knows its version").to.have.length(1);
      expect(planned[0].expectedRows).to.be.greaterThan(0);

      // Nothing was forgotten: verify finds the same object still holding every planned row.
      await moveBatch(tables, batchId, "FORGETTING");
      const reply = await verifyBatch(deps, parseVerifyInput({ batchId, round: 0, maxRounds: 3 }));
      expect(reply).to.include({ hits: 1, remainingRows: planned[0].expectedRows, retry: true });
      const next = await readPlan(s3, reply.plan!.location);
      expect(next.mappers.flatMap((m) => m.objects.map((o) => o.key))).to.deep.equal(holding);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
