// The registry of lake object formats: one line per format, each implemented in its own folder
// (runtime/formats/<format>/) behind the LakeFormat interface (runtime/formats/lakeFormat.ts). A format
// is chosen by the data mapper's `format`, never by sniffing bytes: the bytes are only checked against
// it, and an object that is not what its mapper declares is refused before anything is written.
import type { DataMapper, DataMapperFormat } from "../contracts/mappers";
import { MatchSpecError } from "../subjects/matcher";
import type { ByteSource } from "./byteSource";
import { CorruptObjectError } from "./corruptObject";
import { csvFormat, isCsvRefusal } from "./csv";
import { jsonLines } from "./jsonLines";
import type { LakeFormat } from "./lakeFormat";
import { parquet } from "./parquet";

type CsvFormat = "csv" | "csv.gz";

const lakeFormats: Record<Exclude<DataMapperFormat, CsvFormat>, LakeFormat> = {
  parquet,
  jsonl: jsonLines(false),
  "jsonl.gz": jsonLines(true),
};

/** Formats read with the mapper's table options (a CSV row has no column names). */
const tableFormats: Record<CsvFormat, (mapper: FormatOf) => LakeFormat> = {
  csv: (mapper) => csvFormat(false, csvOptionsOf(mapper)),
  "csv.gz": (mapper) => csvFormat(true, csvOptionsOf(mapper)),
};

/** What choosing a format needs of a mapper: its `format`, and its `csv` options for CSV. */
export type FormatOf = Pick<DataMapper, "format" | "csv">;

function csvOptionsOf(mapper: FormatOf): NonNullable<DataMapper["csv"]> {
  if (!mapper.csv) throw new Error(`the ${mapper.format} format needs the data mapper's csv options`);
  return mapper.csv;
}

export type { LakeFormat };

/** The mapper's format: its name in messages, its `format` and any table options. */
export type MapperFormat = Pick<DataMapper, "name" | "format" | "csv">;

export function lakeFormatOf(mapper: FormatOf): LakeFormat {
  const { format } = mapper;
  if (Object.hasOwn(tableFormats, format)) return tableFormats[format as CsvFormat](mapper);
  const found = Object.hasOwn(lakeFormats, format)
    ? lakeFormats[format as keyof typeof lakeFormats]
    : undefined;
  if (!found) throw new Error(`no lake format ${JSON.stringify(format)}`);
  return found;
}

/** An object whose bytes are not of the format its data mapper declares. */
export class FormatMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FormatMismatchError";
  }
}

/**
 * The mapper's format, once the object's first bytes agree with it; a FormatMismatchError naming the
 * object, the mapper and its format otherwise.
 */
export async function checkedFormat(mapper: MapperFormat, source: ByteSource): Promise<LakeFormat> {
  const format = lakeFormatOf(mapper);
  const head = await source.read(0, Math.min(source.size, 64));
  if (!format.matchesHead(head, source.size)) {
    throw new FormatMismatchError(
      `object ${source.name ?? "(unnamed)"} is not ${format.title} (the mapper '${mapper.name}' declares ${format.name})`,
    );
  }
  return format;
}

/** Whether `err` is a format's refusal of an object or its matcher: no retry cures it, a person decides. */
export function isFormatRefusal(err: unknown): boolean {
  return (
    err instanceof FormatMismatchError ||
    // A corrupt object stays corrupt: a person decides (restore, drop the object, accept the loss).
    err instanceof CorruptObjectError ||
    err instanceof MatchSpecError ||
    Object.values(lakeFormats).some((f) => f.isRefusal(err)) ||
    isCsvRefusal(err)
  );
}
