// Every environment variable the program sets on a function and the runtime reads, by one name each,
// and the parsers that stop a cold start with a message naming a missing or bad one.

export type Env = Record<string, string | undefined>;

export const envNames = {
  // the ingest guard (filter builder, ingest transformer)
  optOutTable: "LETHE_OPT_OUT_TABLE",
  filterBucket: "LETHE_FILTER_BUCKET",
  filterPrefix: "LETHE_FILTER_PREFIX",
  kmsKeyArn: "LETHE_KMS_KEY_ARN",
  falsePositiveRate: "LETHE_FILTER_FALSE_POSITIVE_RATE",
  refreshSeconds: "LETHE_FILTER_REFRESH_SECONDS",
  cacheTtlSeconds: "LETHE_CONFIRM_CACHE_TTL_SECONDS",
  cacheMaxEntries: "LETHE_CONFIRM_CACHE_MAX_ENTRIES",
  // every function that reports or audits a subject
  subjectHashKey: "LETHE_SUBJECT_HASH_KEY",
  // find, indexer and purge: the lake's data mappers (JSON array of DataMapper)
  dataMappers: "LETHE_DATA_MAPPERS",
  // the indexer and find: the index metastore table
  indexTable: "LETHE_INDEX_TABLE",
  // find: Athena's workgroup, the Glue database of the manifest table, the lake bucket (manifests, plans)
  athenaWorkgroup: "LETHE_ATHENA_WORKGROUP",
  glueDatabase: "LETHE_GLUE_DATABASE",
  lakeBucket: "LETHE_LAKE_BUCKET",
} as const;

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
