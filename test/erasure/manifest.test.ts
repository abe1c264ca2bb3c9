// The batch manifest on the emulator: written once, SSE-KMS, 10,000 IDs, read back exactly.
import { expect } from "chai";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../runtime/aws/clients";
import { ManifestError, manifestBatchId, readManifest, writeManifest } from "../../runtime/erasure/manifest";
import type { LocalStack } from "../../runtime/contracts/stack";
import { sharedLocalStack } from "../support/localStack";

describe("erasure: batch manifest", () => {
  let stack: LocalStack;
  const s3 = makeS3Client();
  before(async () => {
    stack = await sharedLocalStack();
  });

  it("writes 10,000 composite IDs once under the batch's partition, encrypted with our key", async () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => [`tenant-${i % 7}`, String(100_000 + i)]);
    const ref = await writeManifest(s3, {
      bucket: stack.lakeBucket,
      batchId: "b-10k",
      keys,
      kmsKeyArn: stack.kmsKeyArn,
    });
    expect(ref.key).to.equal("erasure-manifests/batch_id=b-10k/manifest.jsonl");
    expect(manifestBatchId(ref)).to.equal("b-10k");
    const head = await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    expect(head.ServerSideEncryption).to.equal("aws:kms");
    expect(head.SSEKMSKeyId).to.contain(stack.kmsKeyArn.split("/").pop());
    expect(await readManifest(s3, ref)).to.deep.equal(keys);
    await expectRejected(
      writeManifest(s3, {
        bucket: stack.lakeBucket,
        batchId: "b-10k",
        keys: [["x", "1"]],
        kmsKeyArn: stack.kmsKeyArn,
      }),
      /batch b-10k already has a manifest/,
    );
    expect(await readManifest(s3, ref)).to.have.length(10_000);
  });

  it("keeps single IDs as one-part keys and drops duplicates", async () => {
    const ref = await writeManifest(s3, {
      bucket: stack.lakeBucket,
      batchId: "b-single",
      keys: [["c1"], ["c2"], ["c1"]],
      kmsKeyArn: stack.kmsKeyArn,
    });
    expect(await readManifest(s3, ref)).to.deep.equal([["c1"], ["c2"]]);
  });

  it("refuses an empty batch, mixed arity, empty parts and an unsafe batch id before writing", async () => {
    const base = { bucket: stack.lakeBucket, kmsKeyArn: stack.kmsKeyArn };
    await expectRejected(writeManifest(s3, { ...base, batchId: "b-empty", keys: [] }), /no subject IDs/);
    await expectRejected(
      writeManifest(s3, { ...base, batchId: "b-mixed", keys: [["a", "1"], ["b"]] }),
      /subject 2 has 1 ID part\(s\), the first has 2/,
    );
    await expectRejected(
      writeManifest(s3, { ...base, batchId: "b-blank", keys: [["a"], [""]] }),
      /subject 2 has an empty ID part/,
    );
    await expectRejected(writeManifest(s3, { ...base, batchId: "../x", keys: [["a"]] }), /batch id "..\/x"/);
  });
});

async function expectRejected(p: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(ManifestError);
    expect((e as Error).message).to.match(message);
    return;
  }
  throw new Error("expected a rejection");
}
