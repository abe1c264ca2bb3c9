// The per-column figures of a rewritten data file, for its manifest entry, from the footer Lethe's
// Parquet engine wrote: per Iceberg field id (the Parquet schema's field_id), the bytes on disk,
// the value count (nulls included) and the null count. Lower and upper bounds are left out: a reader
// takes them as unknown and reads the file, and they would need Iceberg's per-type encoding.
import { bufferSource } from "../../formats/byteSource";
import { F, readFooter } from "../../formats/parquet/parquetFormat";
import { getI32, getI64, getStruct, getStructList } from "../../formats/parquet/thriftCompact";

/** parquet.thrift SchemaElement.field_id. */
const SCHEMA_FIELD_ID = 9;
/** parquet.thrift Statistics.null_count. */
const STATS_NULL_COUNT = 3;

export interface ColumnFigures {
  columnSizes: Map<number, bigint>;
  valueCounts: Map<number, bigint>;
  nullCounts: Map<number, bigint>;
}

export async function parquetColumnFigures(bytes: Uint8Array): Promise<ColumnFigures> {
  const footer = await readFooter(bufferSource(bytes));
  const schema = getStructList(footer.raw, F.file.schema);
  // Leaves in depth-first order are the column chunks' order in each row group.
  const leafIds = schema
    .slice(1)
    .filter((el) => !getI32(el, F.schema.numChildren))
    .map((el) => getI32(el, SCHEMA_FIELD_ID));
  const out: ColumnFigures = { columnSizes: new Map(), valueCounts: new Map(), nullCounts: new Map() };
  const noNullCount = new Set<number>();
  const add = (m: Map<number, bigint>, id: number, n: number) => m.set(id, (m.get(id) ?? 0n) + BigInt(n));
  for (const rg of footer.rowGroups) {
    getStructList(rg, F.rowGroup.columns).forEach((chunk, i) => {
      const id = leafIds[i];
      const meta = getStruct(chunk, F.chunk.metaData);
      if (id === undefined || !meta) return;
      add(out.columnSizes, id, getI64(meta, F.meta.totalCompressed) ?? 0);
      add(out.valueCounts, id, getI64(meta, F.meta.numValues) ?? 0);
      const stats = getStruct(meta, F.meta.statistics);
      const nulls = stats && getI64(stats, STATS_NULL_COUNT);
      if (nulls === undefined) noNullCount.add(id);
      else add(out.nullCounts, id, nulls);
    });
  }
  for (const id of noNullCount) out.nullCounts.delete(id);
  return out;
}

/** An Iceberg map<int, long> as Avro has it: an array of key/value records. */
export function avroIntLongMap(m: Map<number, bigint>): { key: number; value: bigint }[] | null {
  return m.size ? [...m].map(([key, value]) => ({ key, value })) : null;
}
