// The one place the index metastore's subject hasher is built for a function or the CLI, so the keyed
// hash the indexer writes and the one find looks up always agree.
import { Env, envNames } from "../../contracts/env";
import { subjectHash } from "../subjectHash";
import { HashSubject } from "./indexStore";

export async function indexHasherFromEnv(env: Env): Promise<HashSubject> {
  const secret = env[envNames.subjectHashKey] ?? "";
  return (key) => subjectHash(key, secret);
}
