// The local find engine's copy of a Parquet object: only what a find reads, the footer and the column
// chunks of the ID columns' top-level fields, at their original offsets in a sparse file; the rest
// stays a hole the engine never touches.
import * as fs from "node:fs";
import { topLevelColumn } from "../../subjects/columnPath";
import type { ByteSource } from "../byteSource";
import { F, MAGIC, chunkRange, parseFooter } from "./parquetFormat";
import { getStructList } from "./thriftCompact";

/** The top-level fields holding the ID columns (`user.id` is in `user`, `contacts[].id` in `contacts`), sorted. */
export function topLevelColumns(idColumns: readonly string[]): string[] {
  return [...new Set(idColumns.map(topLevelColumn))].sort();
}

/** Footer and the chunks of `topLevel` fields at their offsets; returns the bytes read. */
export async function sparseParquetCopy(
  source: ByteSource,
  topLevel: readonly string[],
  file: string,
): Promise<number> {
  const size = source.size;
  const tail = await source.read(size - 8, 8);
  const footerLength = new DataView(tail.buffer, tail.byteOffset, 4).getUint32(0, true);
  const footerStart = size - 8 - footerLength;
  const footerBytes = await source.read(footerStart, footerLength);
  const footer = parseFooter(footerBytes);
  const wanted = new Set(topLevel.map((c) => c.toLowerCase()));
  const ranges: { start: number; length: number }[] = [];
  for (const rowGroup of footer.rowGroups) {
    getStructList(rowGroup, F.rowGroup.columns).forEach((chunk, i) => {
      const leaf = footer.leaves[i];
      if (leaf && wanted.has(leaf.pathParts[0].toLowerCase())) ranges.push(chunkRange(chunk));
    });
  }
  const fd = fs.openSync(file, "w");
  let read = footerLength + 8 + MAGIC.length;
  try {
    fs.ftruncateSync(fd, size);
    fs.writeSync(fd, MAGIC, 0, MAGIC.length, 0);
    fs.writeSync(fd, footerBytes, 0, footerBytes.length, footerStart);
    fs.writeSync(fd, tail, 0, tail.length, size - 8);
    for (const r of mergeRanges(ranges)) {
      const bytes = await source.read(r.start, r.length);
      fs.writeSync(fd, bytes, 0, bytes.length, r.start);
      read += bytes.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return read;
}

/** Adjacent chunks (a struct's leaves, several ID columns) become one ranged GET. */
function mergeRanges(ranges: { start: number; length: number }[]): { start: number; length: number }[] {
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.start - b.start);
  const out: { start: number; length: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.start + last.length) {
      last.length = Math.max(last.length, r.start + r.length - last.start);
    } else out.push({ ...r });
  }
  return out;
}
