// Subject hash keys for tests, made the way a stack makes them: a KMS HMAC key in the emulator, and
// the hasher a function derives from it at cold start.
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { makeKmsClient } from "../../runtime/aws/clients";
import { loadSubjectHasher, SubjectHasher } from "../../runtime/subjects/subjectHash";

export async function createSubjectHashKey(description = "lethe test: subject hashes"): Promise<string> {
  const out = await makeKmsClient().send(
    new CreateKeyCommand({ Description: description, KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }),
  );
  return out.KeyMetadata!.Arn!;
}

/** A hasher over a fresh HMAC key of the emulator's KMS. */
export async function testSubjectHasher(): Promise<SubjectHasher> {
  return loadSubjectHasher(makeKmsClient(), await createSubjectHashKey());
}
