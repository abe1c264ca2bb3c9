// A data mapper: one Glue table of the lake that Lethe finds and forgets subjects in. The program
// reads them from `lethe:dataMappers`, validates them, and hands them to the find, indexer and purge
// functions (as JSON in `envNames.dataMappers`); the runtime never reads Pulumi config itself.

export type DataMapperFormat = "parquet" | "jsonl" | "jsonl.gz";

export interface DataMapper {
  /** Short stable name (`[a-z][a-z0-9-]*`): used in messages, ledgers, reports and resource names. */
  name: string;
  glueDatabase: string;
  glueTable: string;
  /** The table's location, `s3://bucket/prefix/`: the only objects this mapper may read or rewrite. */
  location: string;
  /** ID columns in key order; a dotted path reaches into a struct (`user.id`). Composite when more than one. */
  idColumns: string[];
  format: DataMapperFormat;
  /** Partition columns to prune on (e.g. `["dt"]`); empty for none. */
  partitionColumns: string[];
}

/** Splits `s3://bucket/prefix/` into its bucket and key prefix. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!m) throw new Error(`not an s3:// location: ${JSON.stringify(location)}`);
  return { bucket: m[1], prefix: m[2] };
}
