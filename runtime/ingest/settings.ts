// The ingest guard functions' settings, from the environment the Pulumi program sets. A missing or
// bad variable stops the cold start with a message naming it.
import { FilterLocation } from "./filterStore";
import { Env, envNames, requiredEnv } from "../contracts/env";

/** Where the filter lives inside the lake bucket, outside every Glue table's location. */
export const defaultFilterPrefix = "ingest-guard/opt-out-filter/";

export function filterLocationFromEnv(env: Env): FilterLocation {
  const kms = env[envNames.kmsKeyArn];
  return {
    bucket: requiredEnv(env, envNames.filterBucket),
    prefix: env[envNames.filterPrefix] || defaultFilterPrefix,
    ...(kms ? { kmsKeyArn: kms } : {}),
  };
}

/** The filter's target false-positive rate from the stack setting, given per million (100 = 1e-4). */
export function falsePositiveRateFromPerMillion(perMillion: number): number {
  return perMillion / 1_000_000;
}
