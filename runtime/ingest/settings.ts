// The ingest guard functions' settings, from the environment the Pulumi program sets. A missing or
// bad variable stops the cold start with a message naming it.
import { FilterLocation } from "./filterStore";

export type Env = Record<string, string | undefined>;

export const envNames = {
  optOutTable: "LETHE_OPT_OUT_TABLE",
  filterBucket: "LETHE_FILTER_BUCKET",
  filterPrefix: "LETHE_FILTER_PREFIX",
  kmsKeyArn: "LETHE_KMS_KEY_ARN",
  falsePositiveRate: "LETHE_FILTER_FALSE_POSITIVE_RATE",
  refreshSeconds: "LETHE_FILTER_REFRESH_SECONDS",
  cacheTtlSeconds: "LETHE_CONFIRM_CACHE_TTL_SECONDS",
  cacheMaxEntries: "LETHE_CONFIRM_CACHE_MAX_ENTRIES",
} as const;

/** Where the filter lives inside the lake bucket, outside every Glue table's location. */
export const defaultFilterPrefix = "ingest-guard/opt-out-filter/";

export function requiredEnv(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === "") throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function numberEnv(env: Env, name: string, min: number, max: number, fallback?: number): number {
  const raw = env[name];
  if ((raw === undefined || raw === "") && fallback !== undefined) return fallback;
  const n = Number(requiredEnv(env, name));
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(
      `environment variable ${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

export function filterLocationFromEnv(env: Env): FilterLocation {
  const kms = env[envNames.kmsKeyArn];
  return {
    bucket: requiredEnv(env, envNames.filterBucket),
    prefix: env[envNames.filterPrefix] || defaultFilterPrefix,
    ...(kms ? { kmsKeyArn: kms } : {}),
  };
}
