// The local find engine's reading of a CSV or TSV table. DuckDB's read_csv knows neither
// LazySimpleSerDe's escape character outside quotes nor OpenCSVSerde's reading of both a doubled and an
// escaped quote, so it never reads the objects: each local copy holds the object's ID columns as
// runtime/formats/csv/csvRows.ts reads them (the purge's reading), written as plain CSV with a header
// naming them, and DuckDB reads those copies, every column VARCHAR (IDs compare as text, as the manifest
// holds them).
import * as fs from "node:fs";
import { stringify } from "csv-stringify/sync";
import type { ByteSource } from "../byteSource";
import { csvIdValues } from "./csvPurge";
import type { CsvTableOptions } from "./dialect";

/** Writes the local copy of `source`: a header of `idColumns`, then each row's ID values; returns the bytes read. */
export async function writeIdColumnsCopy(
  source: ByteSource,
  idColumns: readonly string[],
  file: string,
  read: { options: CsvTableOptions; compressed: boolean },
): Promise<number> {
  const bytes = await source.read(0, source.size);
  const rows = await csvIdValues(bytes, idColumns, { ...read, object: source.name });
  // Every field quoted: an ID holding a separator, quote or line break is one field to DuckDB.
  await fs.promises.writeFile(file, stringify([[...idColumns], ...rows], { quoted: true, eof: true }));
  return bytes.length;
}

/** The options of `read_csv([copies], <these>, filename = true, ...)` for copies writeIdColumnsCopy wrote. */
export const idColumnsCopyReader = [
  "delim = ','",
  `quote = '"'`,
  `escape = '"'`,
  "header = true",
  "all_varchar = true",
  // Names and types come from the options above; a copy's name ends in its cache tag, not `.csv`.
  "compression = 'none'",
].join(", ");
