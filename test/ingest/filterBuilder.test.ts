// The filter builder against the emulator: a generation plus a pointer in the encrypted bucket,
// nothing uploaded when the registry is unchanged, a new generation when it changed.
import { expect } from "chai";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { buildOptOutFilter, idSetDigest } from "../../runtime/ingest/filterBuilder";
import { generationKey, pointerKey, readFilter, readPointer } from "../../runtime/ingest/filterStore";
import { bulkOptOut, createLakeBucket, createOptOutTable, fixtureHasher } from "./fixtures";
import { candidateIds, enumerate, unkeyedFilterDigests } from "../support/enumeration";

describe("ingest: filter builder (moto)", () => {
  it("publishes generation 1 and a pointer, KMS-encrypted, then skips while the registry is unchanged", async () => {
    const s3 = makeS3Client();
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    const registry = new OptOutRegistry(makeDocumentClient(), table);
    const ids = Array.from({ length: 3000 }, (_, i) => `c-${i}`);
    await bulkOptOut(table, ids);

    const first = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    expect(first).to.include({ skipped: false, generation: 1, itemCount: 3000, hashCount: 13 });
    expect(first.key).to.equal(generationKey(location, 1));
    const head = await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: first.key }));
    expect(head.ServerSideEncryption).to.equal("aws:kms");
    expect(head.SSEKMSKeyId).to.contain(location.kmsKeyArn!.split("/").pop());
    const pointer = await readPointer(s3, location);
    expect(pointer).to.include({ generation: 1, key: first.key, itemCount: 3000, bytes: first.bytes });
    const filter = await readFilter(s3, location, pointer!);
    expect(ids.every((id) => filter.has(id))).to.equal(true);

    const again = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    expect(again).to.include({ skipped: true, generation: 1 });
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.prefix }),
    );
    expect(listed.Contents!.map((o) => o.Key).sort()).to.deep.equal([first.key, pointerKey(location)].sort());

    // A changed target rate is a different filter too.
    const finer = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-5,
      hasher: await fixtureHasher(),
    });
    expect(finer).to.include({ skipped: false, generation: 2, hashCount: 17 });
  });

  it("publishes a new generation when someone opts out or back in, keeping only the previous one", async () => {
    const s3 = makeS3Client();
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    const registry = new OptOutRegistry(makeDocumentClient(), table);
    await registry.add("alice", "req-1");
    const g1 = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-3,
      hasher: await fixtureHasher(),
    });
    await registry.add("bob", "req-2");
    const g2 = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-3,
      hasher: await fixtureHasher(),
    });
    expect([g1.generation, g2.generation, g2.itemCount]).to.deep.equal([1, 2, 2]);
    const f2 = await readFilter(s3, location, (await readPointer(s3, location))!);
    expect(f2.has("bob")).to.equal(true);
    await registry.remove("alice");
    const g3 = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-3,
      hasher: await fixtureHasher(),
    });
    expect([g3.skipped, g3.generation, g3.itemCount]).to.deep.equal([false, 3, 1]);
    const keys = (
      await s3.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.prefix }))
    ).Contents!.map((o) => o.Key);
    expect(keys.sort()).to.deep.equal(
      [generationKey(location, 2), generationKey(location, 3), pointerKey(location)].sort(),
    );
    const forced = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-3,
      force: true,
      hasher: await fixtureHasher(),
    });
    expect([forced.skipped, forced.generation]).to.deep.equal([false, 4]);
  });

  it("digests the ID set independently of scan order, and never by an ID's prefix alone", async () => {
    const h = await fixtureHasher();
    expect(idSetDigest(h, ["a", "b", "c"], 1e-4)).to.equal(idSetDigest(h, ["c", "a", "b"], 1e-4));
    expect(idSetDigest(h, ["ab", "c"], 1e-4)).to.not.equal(idSetDigest(h, ["a", "bc"], 1e-4));
    expect(idSetDigest(h, ["a"], 1e-4)).to.not.equal(idSetDigest(h, ["a"], 1e-3));
  });

  it("publishes no digest from which a one-ID registry's ID can be recovered by hashing candidates", async () => {
    const s3 = makeS3Client();
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    const registry = new OptOutRegistry(makeDocumentClient(), table);
    await registry.add("c-4711", "req-1");
    const reply = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    const pointer = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: pointerKey(location) }),
    );
    const published = (await pointer.Body!.transformToString()) + JSON.stringify(reply);
    expect(enumerate(published, candidateIds("c"), unkeyedFilterDigests(1e-4))).to.deep.equal([]);
    // The keyed digest still tells an unchanged registry from a changed one.
    const again = await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    expect(again).to.include({ skipped: true, digest: reply.digest });
  });

  it("refuses a pointer that is not one, naming the object", async () => {
    const s3 = makeS3Client();
    const location = await createLakeBucket();
    await s3.send(
      new PutObjectCommand({ Bucket: location.bucket, Key: pointerKey(location), Body: "{nope" }),
    );
    let error: Error | undefined;
    await readPointer(s3, location).catch((e) => (error = e));
    expect(error?.message).to.equal(
      `s3://${location.bucket}/${pointerKey(location)}: filter pointer is not JSON`,
    );
  });

  it("tells a missing pointer (403 without ListBucket on the key) from a forbidden one", async () => {
    const real = makeS3Client();
    const location = await createLakeBucket();
    // Like IAM with ListBucket granted only on the filter prefix: every GetObject miss is a 403.
    const denying = {
      send: async (cmd: { constructor: { name: string } }) => {
        if (cmd.constructor.name === "GetObjectCommand") {
          const e = new Error("Access Denied");
          e.name = "AccessDenied";
          throw e;
        }
        return real.send(cmd as never);
      },
    } as unknown as typeof real;
    expect(await readPointer(denying, location)).to.equal(undefined);
    await real.send(new PutObjectCommand({ Bucket: location.bucket, Key: pointerKey(location), Body: "{}" }));
    let error: Error | undefined;
    await readPointer(denying, location).catch((e) => (error = e));
    expect(error?.name).to.equal("AccessDenied");
  });
});
