// A data mapper: one Glue table of the lake that Lethe finds and forgets subjects in. The program
// reads them from `lethe:dataMappers`, validates them, and hands them to the find, indexer and purge
// functions (as JSON in `envNames.dataMappers`); the runtime never reads Pulumi config itself.
import { Env, requiredEnv } from "./env";
import type { RetentionRule } from "./retention";

export type DataMapperFormat = "parquet" | "jsonl" | "jsonl.gz" | "csv" | "csv.gz";

export const dataMapperFormats: readonly DataMapperFormat[] = [
  "parquet",
  "jsonl",
  "jsonl.gz",
  "csv",
  "csv.gz",
];

/** The formats whose rows carry no column names: their mappers give the table's `csv` options. */
export const csvFormats: readonly DataMapperFormat[] = ["csv", "csv.gz"];

/**
 * How a CSV or TSV table is read, as its Glue table says (validated, with Glue's defaults per SerDe, by
 * runtime/formats/csv/dialect.ts).
 */
export interface CsvTableOptions {
  /** OpenCSVSerde: quoted CSV. LazySimpleSerDe: no quoting, fields split on the separator (TSV). */
  serde: "OpenCSVSerde" | "LazySimpleSerDe";
  /** The Glue table's columns, in its order: a row's n-th field is the n-th column. */
  columns: readonly string[];
  /** One ASCII character. Default: ',' (OpenCSVSerde), '\u0001' (LazySimpleSerDe, Hive's default). */
  separator?: string;
  /** OpenCSVSerde only, one ASCII character. Default '"'. */
  quote?: string;
  /** One ASCII character. OpenCSVSerde default '\\'; LazySimpleSerDe: none unless given. */
  escape?: string;
  /** Lines at the start of each object that are not rows (`skip.header.line.count`). Default 0. */
  skipHeaderLines?: number;
}

/** Mapper names: short, stable, safe in resource names, S3 keys and messages. */
export const mapperNamePattern = /^[a-z][a-z0-9-]{0,31}$/;

/** A column name, or a dotted path into structs (`user.id`). */
export const columnPathPattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** An ID column: a column path, with at most one array step `[]` (runtime/subjects/columnPath.ts). */
export const idColumnPathPattern =
  /^(?=[^[]*(\[\][^[]*)?$)[A-Za-z_][A-Za-z0-9_]*(\[\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\])?)*$/;

/** How a mapper's matching rows are erased (docs/purge.md, "Strategies"); infra/config.ts refuses those not finished. */
export const dataMapperStrategies = ["delete-row", "mask", "delete-object"] as const;
export type DataMapperStrategy = (typeof dataMapperStrategies)[number];

export interface DataMapper {
  /** Short stable name (`[a-z][a-z0-9-]*`): used in messages, ledgers, reports and resource names. */
  name: string;
  glueDatabase: string;
  glueTable: string;
  /** The table's location, `s3://bucket/prefix/`: the only objects this mapper may read or rewrite. */
  location: string;
  /**
   * ID columns in key order; a dotted path reaches into a struct (`user.id`), `[]` into an array
   * (`customer_ids[]`, `contacts[].customer_id`: a row matches when any element does). Composite when
   * more than one.
   */
  idColumns: string[];
  format: DataMapperFormat;
  /** Partition columns to prune on (e.g. `["dt"]`); empty for none. */
  partitionColumns: string[];
  /** Required for the `csv` and `csv.gz` formats, absent for the others. */
  csv?: CsvTableOptions;
  /** Rows older than this are erased on the retention schedule (runtime/contracts/retention.ts). */
  retention?: RetentionRule;
  /** Default `delete-row`. */
  strategy?: DataMapperStrategy;
  /**
   * `delete-object` only: where a subject's objects are, relative to `location`, e.g.
   * `users/{customer_id}/*` (runtime/subjects/keyTemplate.ts).
   */
  keyTemplate?: string;
  /** `mask` only: the personal columns (dotted paths) set to null or to the subject's keyed hash. */
  mask?: { columns: Record<string, "null" | "hash"> };
}

/** Whether the mapper's subjects own whole objects, named by its key template. */
export function deletesObjects(mapper: DataMapper): boolean {
  return mapper.strategy === "delete-object";
}

/** Splits `s3://bucket/prefix/` into its bucket and key prefix. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!m) throw new Error(`not an s3:// location: ${JSON.stringify(location)}`);
  return { bucket: m[1], prefix: m[2] };
}

/** Whether `s3://bucket/key` lies under the mapper's location. */
export function mapperHolds(mapper: DataMapper, bucket: string, key: string): boolean {
  const loc = parseS3Location(mapper.location);
  return loc.bucket === bucket && key.startsWith(loc.prefix);
}

/** The mappers a function was given (the program validated them; this checks the shape it relies on). */
export function dataMappersFromEnv(env: Env, name: string): DataMapper[] {
  const raw = requiredEnv(env, name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`environment variable ${name} is not JSON`);
  }
  if (!Array.isArray(parsed))
    throw new Error(`environment variable ${name} must be a JSON array of data mappers`);
  for (const m of parsed as DataMapper[]) {
    if (
      typeof m?.name !== "string" ||
      typeof m.location !== "string" ||
      !Array.isArray(m.idColumns) ||
      m.idColumns.length === 0 ||
      !dataMapperFormats.includes(m.format) ||
      csvFormats.includes(m.format) !== (typeof m.csv === "object" && m.csv !== null) ||
      (m.strategy === "delete-object") !== (typeof m.keyTemplate === "string") ||
      (m.strategy === "mask") !== (typeof m.mask?.columns === "object" && m.mask.columns !== null)
    ) {
      throw new Error(`environment variable ${name}: data mapper ${JSON.stringify(m?.name)} is incomplete`);
    }
    parseS3Location(m.location);
  }
  return parsed as DataMapper[];
}
