// Every subject key of a Parquet object and its row count, reading only the footer and, per row group,
// the chunks of the ID columns' top-level fields (ranged reads; the span between them is never read).
import { keyColumnsValues, rowKeys } from "../../subjects/matcher";
import type { ByteSource } from "../byteSource";
import type { KeysInObject } from "../lakeFormat";
import { checkLayout } from "./objectIntegrity";
import { F, chunkRange, readFooter } from "./parquetFormat";
import { readTopLevelFields, topLevelFieldsOf } from "./rowGroupPurge";
import { getStructList } from "./thriftCompact";

export async function parquetKeys(source: ByteSource, columns: readonly string[]): Promise<KeysInObject> {
  const footer = await readFooter(source);
  // Every chunk inside the object, or a CorruptObjectError naming it, the row group and the column.
  checkLayout(footer, source.size, source.name);
  const wanted = topLevelFieldsOf(footer, columns);
  const keys = new Map<string, number>();
  let rows = 0;
  for (let index = 0; index < footer.rowGroups.length; index++) {
    const chunks = getStructList(footer.rowGroups[index], F.rowGroup.columns);
    const ranges = chunks.flatMap((c, i) =>
      wanted.has(footer.leaves[i].topLevelIndex) ? [chunkRange(c)] : [],
    );
    if (ranges.length === 0) continue;
    const start = Math.min(...ranges.map((r) => r.start));
    const end = Math.max(...ranges.map((r) => r.start + r.length));
    // Only the ID chunks are fetched; the span between them stays zero and is never decoded.
    const bytes = new Uint8Array(end - start);
    for (const r of ranges) bytes.set(await source.read(r.start, r.length), r.start - start);
    const table = await readTopLevelFields({ footer, index, bytes, start }, wanted);
    rows += table.numRows;
    // Per row, every key it holds: one, none (a null part), or one per element of a list.
    const values = keyColumnsValues(table, columns);
    for (let row = 0; row < table.numRows; row++) {
      for (const key of rowKeys(values.map((v) => v(row)))) keys.set(key, (keys.get(key) ?? 0) + 1);
    }
  }
  return { rows, keys };
}
