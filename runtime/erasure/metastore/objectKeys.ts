// Every subject key in one object version and its row count, reading only the ID columns: for Parquet
// the footer and, per row group, the chunks of the ID columns' top-level fields (ranged GETs); JSON
// Lines objects whole (they have no columns to skip).
import { S3Client } from "@aws-sdk/client-s3";
import { DataMapper } from "../../contracts/mappers";
import { keyColumn, keyText } from "../../purge/matcher";
import { jsonRecordKey } from "../jsonRecordKey";
import { F, chunkRange, readFooter } from "../../purge/parquetFormat";
import { readTopLevelFields, topLevelFieldsOf } from "../../purge/rowGroupPurge";
import { getStructList } from "../../purge/thriftCompact";
import { checkLayout } from "../../purge/objectIntegrity";
import { ObjectVersion, versionSource } from "../../purge/s3Objects";
import { gunzipSync } from "node:zlib";

export interface ObjectKeys {
  rows: number;
  /** Keys as the matcher writes them (`keyText`: exact, composite parts never ambiguous), with their row counts. */
  keys: Map<string, number>;
  bytesRead: number;
}

export async function keysInObject(
  s3: S3Client,
  version: ObjectVersion,
  mapper: DataMapper,
): Promise<ObjectKeys> {
  return mapper.format === "parquet"
    ? parquetKeys(s3, version, mapper.idColumns)
    : jsonKeys(s3, version, mapper);
}

async function parquetKeys(s3: S3Client, version: ObjectVersion, columns: string[]): Promise<ObjectKeys> {
  let bytesRead = 0;
  const source = versionSource(s3, version);
  const counted = {
    size: source.size,
    name: source.name,
    read: async (o: number, n: number) => ((bytesRead += n), source.read(o, n)),
  };
  const footer = await readFooter(counted);
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
    for (const r of ranges) bytes.set(await counted.read(r.start, r.length), r.start - start);
    const table = await readTopLevelFields({ footer, index, bytes, start }, wanted);
    rows += table.numRows;
    const values = columns.map((c) => keyColumn(table, c));
    const parts: string[] = new Array(columns.length);
    rowLoop: for (let row = 0; row < table.numRows; row++) {
      for (let c = 0; c < values.length; c++) {
        const v = values[c](row);
        if (v === null) continue rowLoop;
        parts[c] = v;
      }
      const key = keyText(parts);
      keys.set(key, (keys.get(key) ?? 0) + 1);
    }
  }
  return { rows, keys, bytesRead };
}

async function jsonKeys(s3: S3Client, version: ObjectVersion, mapper: DataMapper): Promise<ObjectKeys> {
  const raw = await versionSource(s3, version).read(0, version.size);
  const gz = raw[0] === 0x1f && raw[1] === 0x8b;
  const text = Buffer.from(gz ? gunzipSync(raw) : raw).toString("utf8");
  const keys = new Map<string, number>();
  let rows = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    rows++;
    const record = JSON.parse(line) as Record<string, unknown>;
    // The same reading of a record's key as the purge's and the ingest guard's (exact integers).
    const parts = jsonRecordKey(line, record, mapper.idColumns);
    if (parts === null || parts.some((p) => p === "")) continue;
    const key = keyText(parts);
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  return { rows, keys, bytesRead: raw.length };
}
