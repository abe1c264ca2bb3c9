// Iceberg's manifest lists and manifests are Avro object container files. Read: every record, longs as
// bigint (snapshot ids exceed 2^53; avsc refuses to round them), the writer's schema as written (its
// `field-id` attributes are how Iceberg readers find fields) and the file's key-value metadata. Written:
// with that same schema and metadata, deflate-compressed as Iceberg's writers do.
import { Readable } from "node:stream";
import * as avro from "avsc";

const exactLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (n: number | string) => BigInt(n),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === "bigint" || (typeof n === "number" && Number.isInteger(n)),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** An Avro schema as JSON (a record with `fields`, each carrying Iceberg's `field-id`). */
export interface AvroRecordSchema {
  type: "record";
  name: string;
  fields: { name: string; type: unknown; "field-id"?: number; [attr: string]: unknown }[];
  [attr: string]: unknown;
}

export type AvroRecord = Record<string, unknown>;

export interface AvroFile {
  schema: AvroRecordSchema;
  /** The file's metadata other than avro.schema and avro.codec, as text. */
  meta: Record<string, string>;
  records: AvroRecord[];
}

function typeOf(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: exactLong } });
}

export async function readAvroFile(bytes: Uint8Array, name: string): Promise<AvroFile> {
  let schema: AvroRecordSchema | undefined;
  const meta: Record<string, string> = {};
  const records: AvroRecord[] = [];
  const decoder = new avro.streams.BlockDecoder({
    parseHook: (s: unknown) => {
      schema = s as AvroRecordSchema;
      return typeOf(s);
    },
  });
  decoder.on("metadata", (_type: avro.Type, _codec: string, header: { meta: Record<string, Buffer> }) => {
    for (const [k, v] of Object.entries(header.meta))
      if (k !== "avro.schema" && k !== "avro.codec") meta[k] = v.toString("utf8");
  });
  await new Promise<void>((resolve, reject) => {
    decoder.on("data", (r: AvroRecord) => records.push(r));
    decoder.on("end", resolve);
    decoder.on("error", (err: Error) =>
      reject(new Error(`${name} is not a readable Avro file: ${err.message}`)),
    );
    Readable.from([Buffer.from(bytes)]).pipe(decoder);
  });
  if (!schema || schema.type !== "record") throw new Error(`${name}: its Avro schema is not a record`);
  return { schema, meta, records };
}

export async function writeAvroFile(file: AvroFile): Promise<Buffer> {
  // avsc's typings leave out the encoder's `metadata` option, which its BlockEncoder reads.
  const options = {
    codec: "deflate",
    metadata: Object.fromEntries(Object.entries(file.meta).map(([k, v]) => [k, Buffer.from(v, "utf8")])),
  } as ConstructorParameters<typeof avro.streams.BlockEncoder>[1];
  const encoder = new avro.streams.BlockEncoder(typeOf(file.schema), options);
  // avsc writes the schema it is given back as text only when handed JSON, not a Type: keep every
  // field-id attribute by handing it the writer's JSON (set as the encoder's own schema).
  (encoder as unknown as { _schema: unknown })._schema = file.schema;
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    encoder.on("data", (c: Buffer) => chunks.push(c));
    encoder.on("end", resolve);
    encoder.on("error", reject);
  });
  for (const r of file.records) encoder.write(r);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

/** The field of `schema` whose Iceberg field-id is `id`. */
export function fieldById(schema: AvroRecordSchema, id: number) {
  return schema.fields.find((f) => f["field-id"] === id);
}

/** The record schema nested in field `id` of `schema` (a record, or a union of null and a record). */
export function recordFieldSchema(schema: AvroRecordSchema, id: number): AvroRecordSchema {
  const field = fieldById(schema, id);
  const t = Array.isArray(field?.type) ? field.type.find((x) => x !== "null") : field?.type;
  if (!t || typeof t !== "object" || (t as { type?: string }).type !== "record")
    throw new Error(`Avro field-id ${id} is not a record`);
  return t as AvroRecordSchema;
}

/** Reads field `id` of `record` (null when the schema has no such field). */
export function getById(schema: AvroRecordSchema, record: AvroRecord, id: number): unknown {
  const f = fieldById(schema, id);
  return f ? record[f.name] : null;
}

/** Sets field `id` of `record` when the schema has it (a v1 manifest has no sequence numbers). */
export function setById(schema: AvroRecordSchema, record: AvroRecord, id: number, value: unknown): void {
  const f = fieldById(schema, id);
  if (f) record[f.name] = value;
}

/** A record of `schema` from values by field-id; absent ones are null. */
export function recordByIds(schema: AvroRecordSchema, values: Map<number, unknown>): AvroRecord {
  return Object.fromEntries(schema.fields.map((f) => [f.name, values.get(f["field-id"] ?? -1) ?? null]));
}
