// The events table's shape, shared by the Glue table, the Firehose Parquet conversion and the runtime.
export const eventsTable = {
  name: "events",
  /** Objects live under `${prefix}dt=YYYY-MM-DD/`. */
  prefix: "events/",
  partitionKey: "dt",
  /** The column an erasure matches on. */
  idColumn: "customer_id",
  columns: [
    { name: "customer_id", type: "string", comment: "The data subject; an erasure matches on it" },
    { name: "event_time", type: "timestamp", comment: "When the event happened (UTC)" },
    { name: "event_type", type: "string", comment: "What happened" },
    { name: "payload", type: "string", comment: "The event body as JSON" },
  ],
} as const;

/** The S3 prefix Firehose writes under, with the `dt` partition as Athena projection expects it. */
export const firehosePrefix = `${eventsTable.prefix}${eventsTable.partitionKey}=!{timestamp:yyyy-MM-dd}/`;
/** Records Firehose could not convert go here, never silently dropped. */
export const ingestErrorRoot = "ingest-errors/";
export const firehoseErrorPrefix = `${ingestErrorRoot}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`;

/**
 * Batch manifests (the subjects' raw IDs) live in the lake bucket under this prefix, outside every
 * data mapper's location, and expire before the erasure deadline.
 */
export const manifestRoot = "erasure-manifests/";

/** The Glue table over the manifests: one JSON line `{"id": [part, ...]}` per subject, partitioned by batch. */
export const manifestTable = {
  name: "erasure_manifests",
  partitionKey: "batch_id",
  idColumn: "id",
} as const;

/**
 * Each request's subject IDs, as the intake received them (one JSON line per subject), live in the
 * lake bucket under this prefix (KMS, expiring before the deadline) until the report task drops them:
 * a request of 10,000 IDs does not fit a DynamoDB item, and IDs never go into one.
 */
export const requestIdsRoot = "erasure-requests/";

/** Batch plans (object paths, versions and row counts; no IDs) live in the lake bucket under this prefix. */
export const planRoot = "erasure-plans/";
