// Subject hashes keyed by the stack's KMS HMAC key (in the emulator): stable across cold starts,
// different under another key, no hasher without a key, and no report or audit entry that hashing
// 10^4 candidate IDs without the key can match.
import { expect } from "chai";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { makeDocumentClient, makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import {
  loadSubjectHasher,
  subjectHasherFromEnv,
  SubjectHashKeyError,
} from "../../runtime/subjects/subjectHash";
import { getErasureRequest, recordErasureRequest } from "../../runtime/erasure/request";
import { appendAudit, readAudit } from "../../runtime/erasure/audit";
import { envNames } from "../../runtime/contracts/env";
import type { LocalStack } from "../../runtime/contracts/stack";
import { sharedLocalStack } from "../support/localStack";
import { localErasureSettings } from "../support/stackSettings";
import { createSubjectHashKey } from "../support/subjectHashKeys";
import { candidateIds, enumerate } from "../support/enumeration";

describe("erasure: keyed subject hashes (KMS HMAC key in the emulator)", () => {
  let stack: LocalStack;
  before(async () => {
    stack = await sharedLocalStack();
  });

  it("hashes an ID the same across two cold starts with the same key, differently under another key", async () => {
    // Two cold starts: two clients, two GenerateMac calls, two derived in-memory keys.
    const first = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const second = await subjectHasherFromEnv(makeKmsClient(), {
      [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn,
    });
    const other = await loadSubjectHasher(makeKmsClient(), await createSubjectHashKey());
    expect(first.hash("c-1"))
      .to.equal(second.hash("c-1"))
      .and.match(/^hmac1:[0-9a-f]{32}$/);
    expect(first.hash("c-1")).to.not.equal(other.hash("c-1"));
    expect(first.hash("c-1")).to.not.equal(first.hash("c-2"));
    expect(first.hash(["a", "bc"])).to.not.equal(first.hash(["ab", "c"]));
    // Parts may hold any character: no separator makes two keys one, nor a composite key a one-part ID.
    expect(first.hash(["a\u001fb", "c"])).to.not.equal(first.hash(["a", "b\u001fc"]));
    expect(first.hash(["a", "b"])).to.not.equal(first.hash('["a","b"]'));
    expect(first.hash(["c-1"])).to.equal(first.hash("c-1"));
    expect(first.setDigest("x", ["c-1"])).to.not.include(first.hash("c-1").slice(6));
    expect(first.setDigest("x", ["b", "a", "a"])).to.equal(second.setDigest("x", ["a", "b"]));
  });

  it("refuses to build a hasher without a key, or with a key that is not an HMAC key, naming it", async () => {
    for (const missing of [undefined, "", " "]) {
      let err: unknown;
      try {
        await loadSubjectHasher(makeKmsClient(), missing);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(SubjectHashKeyError);
      expect((err as Error).message).to.match(
        /LETHE_SUBJECT_HASH_KEY_ARN.*never falls back to an unkeyed hash/,
      );
    }
    let err: unknown;
    try {
      await subjectHasherFromEnv(makeKmsClient(), {});
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(SubjectHashKeyError);
    const symmetric = (await makeKmsClient().send(new CreateKeyCommand({ Description: "not for MACs" })))
      .KeyMetadata!.Arn!;
    err = undefined;
    try {
      await loadSubjectHasher(makeKmsClient(), symmetric);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(SubjectHashKeyError);
    expect((err as Error).message)
      .to.include(symmetric)
      .and.match(/HMAC_256/);
  });

  it("leaves no request, audit entry or report matchable by hashing 10^4 candidate IDs without the key", async () => {
    const doc = makeDocumentClient();
    const erasure = localErasureSettings();
    const hasher = await loadSubjectHasher(makeKmsClient(), stack.subjectHashKeyArn);
    const subjects = ["cust-42", "cust-9137", "cust-7"];
    const { request } = await recordErasureRequest(
      {
        doc,
        s3: makeS3Client(),
        tableName: stack.requestsTable,
        bucket: stack.lakeBucket,
        kmsKeyArn: stack.kmsKeyArn,
        erasure,
      },
      hasher,
      subjects,
    );
    await appendAudit(
      doc,
      {
        tableName: stack.auditTable,
        erasure,
        overflow: { s3: makeS3Client(), bucket: stack.auditBucket, kmsKeyArn: stack.kmsKeyArn },
      },
      request.requestId,
      "recorded",
      { subjects: request.subjectHashes },
    );
    const stored = await getErasureRequest(doc, stack.requestsTable, request.requestId);
    const trail = await readAudit(doc, stack.auditTable, request.requestId);
    // The whole item: the raw IDs are in the S3 file it points at, never in the item.
    const text = JSON.stringify({ stored, trail });
    expect(text).to.include(hasher.hash("cust-42"));
    const candidates = candidateIds("cust");
    expect(candidates).to.include.members(subjects).and.have.length(10_000);
    expect(enumerate(text, candidates)).to.deep.equal([]);
  });
});
