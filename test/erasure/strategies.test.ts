// The delete-object and mask strategies through the whole erasure workflow on the emulator (issue 22,
// item 4): a local stack provisioned with two delete-object mappers, `users/{customer_id}/*` and
// `{customer_id}-*.csv`, and a mask mapper of JSON Lines (written by Python's json, two versions);
// a subject's objects in several versions, one under a delete marker, one whose only entries are a
// noncurrent version and a delete marker; objects of other customers whose IDs start with a subject's,
// and keys that do not fit the template. `lethe erase --wait`: the request COMPLETED, no version or
// delete marker of a subject's object is left, every other object untouched; the masked object has one
// version, its subjects' rows masked with the stack's keyed hash, every other line byte-identical.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { makeDynamoDbClient, makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import { loadSubjectHasher } from "../../runtime/subjects/subjectHash";
import { checkMaskedLines, writeMaskLines } from "../formats/jsonLines/maskLines";
import type { LocalStack } from "../../runtime/contracts/stack";
import { manifestTable } from "../../runtime/contracts/lakeSchema";
import { manifestKey } from "../../runtime/erasure/manifest";
import { planBatch } from "../../runtime/erasure/plan";
import type { Finder } from "../../runtime/erasure/find/finder";
import { purgeLakeObject } from "../../runtime/erasure/forget/purgeLakeObject";
import { MutexClient } from "../../runtime/lock";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { erase } from "../../cli/work/erasureCommands";
import { provisionLocalStack, writeOutputsFile } from "../../local/stack";
import { createBucketLike } from "../../local/stack/copies";
import { projectWithStack } from "../support/projectStack";

describe("erasure: delete-object and mask mappers through erase --wait on a local stack", function () {
  this.timeout(900_000);
  const s3 = makeS3Client();
  const run = randomUUID().slice(0, 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-delete-object-"));
  const bucket = `exports-lake-${run}`;
  const id = (n: number) => `u${n}x${run}`;
  const subjects = [id(3), id(7)];
  // The mask mapper's customers are 0 to 39 (mask_lines.py); the delete-object mappers have none of them.
  const maskedIds = ["3", "17"];
  const visits: DataMapper = {
    name: "visits",
    glueDatabase: "crm",
    glueTable: "visits",
    location: `s3://${bucket}/visits/`,
    idColumns: ["customer_id"],
    format: "jsonl",
    partitionColumns: ["dt"],
    strategy: "mask",
    mask: { columns: { customer_id: "hash", "user.email": "null", "user.name": "hash" } },
  };
  const visitsKey = "visits/dt=2024-05-01/part-0.jsonl";
  let visitsText = "";
  const profiles: DataMapper & { strategy: "delete-object"; keyTemplate: string } = {
    name: "profiles",
    glueDatabase: "crm",
    glueTable: "profiles",
    location: `s3://${bucket}/profiles/`,
    idColumns: ["customer_id"],
    format: "jsonl",
    partitionColumns: [],
    strategy: "delete-object",
    keyTemplate: "users/{customer_id}/*",
  };
  const exportsMapper: DataMapper & { strategy: "delete-object"; keyTemplate: string } = {
    name: "exports",
    glueDatabase: "crm",
    glueTable: "exports",
    location: `s3://${bucket}/exports/`,
    idColumns: ["customer_id"],
    format: "csv",
    partitionColumns: [],
    csv: { serde: "OpenCSVSerde", columns: ["customer_id", "line"] },
    strategy: "delete-object",
    keyTemplate: "{customer_id}-*.csv",
  };
  let stack: LocalStack;
  const gone: string[] = [];
  const kept: string[] = [];

  async function put(key: string, body = `{"customer_id":"x"}\n`) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  async function entries(key: string): Promise<number> {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    const of = (l?: { Key?: string }[]) => (l ?? []).filter((e) => e.Key === key).length;
    return of(page.Versions) + of(page.DeleteMarkers);
  }

  before(async () => {
    const program = projectWithStack(dir, "delobj", {
      "lethe:dataMappers": JSON.stringify([profiles, exportsMapper, visits]),
    });
    stack = (await provisionLocalStack({ stack: "delobj", program })).stack;
    writeOutputsFile(path.join(dir, "local.json"), stack);
    await createBucketLike("lakeBucket", bucket, stack.kmsKeyArn);

    for (const s of subjects) {
      // Two versions of one object, and a nested one.
      const a = `profiles/users/${s}/profile.json`;
      await put(a);
      await put(a, "second version\n");
      await put(`profiles/users/${s}/photos/1.jpg`, "jpeg");
      gone.push(a, `profiles/users/${s}/photos/1.jpg`);
      // Current version under a delete marker: only noncurrent entries left.
      const hidden = `profiles/users/${s}/old.json`;
      await put(hidden);
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: hidden }));
      gone.push(hidden);
      const csv = `exports/${s}-2024-03.csv`;
      await put(csv, `${s},a\n`);
      await put(csv, `${s},b\n`);
      gone.push(csv, `exports/${s}-archive/2023.csv`);
      await put(`exports/${s}-archive/2023.csv`, `${s},c\n`);
      // Not the template's: another extension, another customer whose ID starts with the subject's.
      kept.push(`exports/${s}-2024-03.txt`, `exports/${s}9-2024.csv`, `profiles/users/${s}9/p.json`);
      kept.push(`profiles/${s}/p.json`);
    }
    kept.push(`profiles/users/${id(4)}/profile.json`, `exports/${id(4)}-2024-03.csv`);
    for (const k of kept) await put(k);
    const file = path.join(dir, "visits.jsonl");
    writeMaskLines(file, 9, true);
    visitsText = fs.readFileSync(file, "utf8");
    await put(visitsKey, visitsText); // an older version holding the same rows
    await put(visitsKey, visitsText);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("deletes every version and delete marker of each subject's object, nothing else, and masks the mask mapper's rows", async () => {
    for (const k of gone) expect(await entries(k), k).to.be.greaterThan(0);
    const result = await erase(
      { ids: [...subjects, ...maskedIds], reason: "strategies workflow", requestedBy: "test", wait: true },
      { stackOutputsFile: path.join(dir, "local.json"), drainSeconds: 0 },
    );
    expect(result.status?.state, JSON.stringify(result.status)).to.equal("COMPLETED");
    for (const k of gone) expect(await entries(k), `${k}: no version or delete marker left`).to.equal(0);
    for (const k of kept) expect(await entries(k), `${k}: kept`).to.equal(1);

    expect(await entries(visitsKey), "the masked object: one version, the older one deleted").to.equal(1);
    const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: visitsKey }));
    const masked = await o.Body!.transformToString("utf8");
    const hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const check = checkMaskedLines({
      original: visitsText,
      masked,
      ids: maskedIds,
      hashes: Object.fromEntries(maskedIds.map((i) => [i, hasher.hash(i)])),
      columns: visits.mask!.columns,
      array: null,
    });
    expect(check.problems).to.deep.equal([]);
    expect(check.masked).to.be.greaterThan(3);
  });

  const noFinder: Finder = {
    findObjects: () => Promise.reject(new Error("a delete-object mapper is never searched by a finder")),
  };

  it("find plans every version and delete marker of a subject's keys, and refuses an ID holding the delimiter", async () => {
    const key = `exports/${id(5)}-x.csv`;
    await put(key, "a");
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await put(`exports/${id(5)}-x.csv.bak`);
    const plan = await planBatch({ s3, finder: noFinder }, [exportsMapper], await manifestOf([[id(5)]]));
    expect(plan.mappers[0].objects).to.have.length(1);
    const [o] = plan.mappers[0].objects;
    expect({ key: o.key, current: o.current, versions: o.versionIds.length }).to.deep.equal({
      key,
      current: false,
      versions: 2,
    });
    let refusal = "";
    await planBatch({ s3, finder: noFinder }, [exportsMapper], await manifestOf([["a-b"]])).catch(
      (e: Error) => (refusal = e.message),
    );
    expect(refusal).to.match(/mapper "exports": a subject cannot be found by key: an ID holds "-"/);
    expect(refusal).not.to.include("a-b");
  });

  it("forget deletes nothing when the message names a key of no subject of the batch", async () => {
    const key = `profiles/users/${id(6)}/p.json`;
    await put(key);
    const report = await purgeLakeObject(
      {
        batchId: `b-${run}`,
        mapper: "profiles",
        object: { bucket, key, versionIds: [] },
        manifest: await manifestOf([[id(8)]]),
      },
      {
        s3,
        mutex: new MutexClient({
          clientName: `delobj-${run}`,
          dynamoDbClient: makeDynamoDbClient(),
          tableName: stack.locksTable,
          defaultLeaseDuration: 15,
          autoRenew: true,
        }),
        mappers: [profiles],
      },
    );
    expect(report.status).to.equal("no-match");
    expect(await entries(key)).to.equal(1);
  });

  /** A batch manifest of these subjects, as the batch function writes it (runtime/erasure/manifest.ts). */
  async function manifestOf(ids: string[][]): Promise<{ bucket: string; key: string }> {
    const key = manifestKey(randomUUID(), "manifests-test/");
    const body = ids.map((parts) => JSON.stringify({ [manifestTable.idColumn]: parts })).join("\n");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { bucket, key };
  }
});
