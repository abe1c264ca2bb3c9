// CSV and TSV, plain (`csv`) and gzip-compressed (`csv.gz`), as the registry (runtime/formats/index.ts)
// offers them: one engine, built per data mapper from its `csv` options (the SerDe and the columns).
import type { CsvTableOptions } from "../../contracts/mappers";
import type { ByteSource } from "../byteSource";
import type { LakeFormat } from "../lakeFormat";
import { csvKeys, purgeCsv, scanCsv } from "./csvPurge";
import { CsvFormatError } from "./csvRows";
import { CsvOptionsError, csvDialect } from "./dialect";
import { idColumnsCopyReader, writeIdColumnsCopy } from "./localFindCopy";

const isGzip = (head: Uint8Array) => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

/** Whether `err` is the CSV format's refusal of an object or of a mapper's options. */
export function isCsvRefusal(err: unknown): boolean {
  return err instanceof CsvFormatError || err instanceof CsvOptionsError;
}

export function csvFormat(compressed: boolean, options: CsvTableOptions): LakeFormat {
  csvDialect(options); // bad options are refused when the format is chosen, before any object is read
  const read = (source: ByteSource) => ({ options, compressed, object: source.name });
  // Objects are read whole: a row's ID field can only be found by reading the row.
  const whole = (source: ByteSource) => source.read(0, source.size);
  return {
    name: compressed ? "csv.gz" : "csv",
    title: compressed ? "gzip-compressed CSV" : "CSV",
    // An empty object is an empty table in either; text has no magic, so plain CSV is "not gzip".
    matchesHead: (head, size) => size === 0 || isGzip(head) === compressed,
    scan: async (source, matcher) => scanCsv(await whole(source), matcher, read(source)),
    purge: async (source, sink, matcher) => {
      const { bytes, stats } = await purgeCsv(await whole(source), matcher, read(source));
      await sink.write(bytes);
      return stats;
    },
    keysInObject: async (source, idColumns) => csvKeys(await whole(source), idColumns, read(source)),
    localFind: {
      // The ID columns as the purge reads them (DuckDB cannot read every dialect the purge reads).
      copiedColumns: (idColumns) => [...idColumns].sort(),
      copy: (source, columns, file) => writeIdColumnsCopy(source, columns, file, { options, compressed }),
      duckDbRead: (files, shared) => `read_csv(${files}, ${idColumnsCopyReader}, ${shared})`,
    },
    isRefusal: isCsvRefusal,
  };
}
