// The one place the index metastore's subject hasher is built for a function or the CLI, so the keyed
// hash the indexer writes and the one find looks up always agree: the stack's KMS HMAC key, once per
// cold start (runtime/subjects/subjectHash.ts).
import { Env } from "../../contracts/env";
import { makeKmsClient } from "../../aws/clients";
import { subjectHasherFromEnv } from "../../subjects/subjectHash";
import { HashSubject } from "./indexStore";

export async function indexHasherFromEnv(env: Env): Promise<HashSubject> {
  const hasher = await subjectHasherFromEnv(makeKmsClient(), env);
  return (key) => hasher.hash(key);
}
