// JSON Lines, plain (`jsonl`) and gzip-compressed (`jsonl.gz`), as the registry
// (runtime/formats/index.ts) offers them: one engine, registered once per compression.
import { copyWhole } from "../byteSource";
import type { LakeFormat } from "../lakeFormat";
import { JsonLinesError, isGzip, purgeJsonLines, scanJsonLines } from "./jsonLines";
import { maskJsonLines } from "./mask";
import { jsonLinesKeys } from "./objectKeys";

export function jsonLines(compressed: boolean): LakeFormat {
  return {
    name: compressed ? "jsonl.gz" : "jsonl",
    title: compressed ? "gzip-compressed JSON Lines" : "JSON Lines",
    // An empty object is an empty table in either; otherwise gzip's magic, or text opening a JSON object.
    matchesHead: (head, size) =>
      size === 0 ||
      (compressed
        ? isGzip(head)
        : !isGzip(head) && Buffer.from(head).toString("utf8").trimStart()[0] === "{"),
    scan: scanJsonLines,
    // Streamed line by line: memory bounded by the longest line.
    purge: (source, sink, matcher) => purgeJsonLines(source, sink, matcher),
    // Masked in memory: masking rewrites values inside lines (runtime/formats/jsonLines/mask.ts).
    mask: async (source, sink, matcher, masking) => {
      const read = await source.read(0, source.size);
      const { bytes, stats } = await maskJsonLines(read, matcher, masking, source.name);
      await sink.write(bytes);
      return stats;
    },
    keysInObject: jsonLinesKeys,
    localFind: {
      copiedColumns: () => [],
      copy: (source, _columns, file) => copyWhole(source, file),
      duckDbRead: (files, options) =>
        `read_json(${files}, format = 'newline_delimited', compression = '${compressed ? "gzip" : "uncompressed"}', ${options})`,
    },
    isRefusal: (err) => err instanceof JsonLinesError,
  };
}
