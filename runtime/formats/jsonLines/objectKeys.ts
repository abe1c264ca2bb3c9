// Every subject key of a JSON Lines object (plain or gzip) and its row count: the object is read whole
// (it has no columns to skip), each line's key read as the purge and the ingest guard read it.
import { gunzipSync } from "node:zlib";
import { jsonRecordKeys } from "../../subjects/jsonRecordKey";
import { keyText } from "../../subjects/matcher";
import type { ByteSource } from "../byteSource";
import type { KeysInObject } from "../lakeFormat";
import { isGzip } from "./jsonLines";

export async function jsonLinesKeys(source: ByteSource, columns: readonly string[]): Promise<KeysInObject> {
  const raw = await source.read(0, source.size);
  const text = Buffer.from(isGzip(raw) ? gunzipSync(raw) : raw).toString("utf8");
  const keys = new Map<string, number>();
  let rows = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    rows++;
    const record = JSON.parse(line) as Record<string, unknown>;
    // The same reading of a record's key as the purge's and the ingest guard's (exact integers).
    for (const parts of jsonRecordKeys(line, record, columns)) {
      if (parts.some((p) => p === "")) continue;
      const key = keyText(parts);
      keys.set(key, (keys.get(key) ?? 0) + 1);
    }
  }
  return { rows, keys };
}
