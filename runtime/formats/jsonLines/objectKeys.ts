// Every subject key of a JSON Lines object (plain or gzip) and its row count: the object is read
// through (it has no columns to skip), streamed line by line, each line's key read as the purge and the ingest
// guard read it.
import { jsonRecordKeys } from "../../subjects/jsonRecordKey";
import { keyText } from "../../subjects/matcher";
import type { ByteSource } from "../byteSource";
import type { KeysInObject } from "../lakeFormat";
import { jsonLinesOf } from "./jsonLines";

export async function jsonLinesKeys(source: ByteSource, columns: readonly string[]): Promise<KeysInObject> {
  const keys = new Map<string, number>();
  let rows = 0;
  for await (const line of jsonLinesOf(source)) {
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
