// An object of a CSV or TSV table as rows: for each row its first line (1-based), its byte range (its
// line ending and any quoted line breaks included) and its fields. Rows are framed on the bytes, so a
// range is exactly the object's bytes; the header lines (skipHeaderLines) and empty lines are not rows.
// Field values of quoted CSV come from csv-parse; LazySimpleSerDe's unquoted fields are split here
// (csv-parse only honours an escape character inside quotes).
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { CsvError, parse } from "csv-parse/sync";
import { CorruptObjectError, messageOf } from "../corruptObject";
import { CsvDialect } from "./dialect";

const gunzip = promisify(zlib.gunzip);

/** A line of a CSV object that cannot be read as the table's SerDe would, or holds no usable row. */
export class CsvFormatError extends CorruptObjectError {
  constructor(object: string | undefined, line: number, detail: string) {
    super(object, `line ${line}`, detail);
    this.name = "CsvFormatError";
  }
}

export interface CsvRow {
  /** The row's first line in the object, 1-based (header lines counted). */
  line: number;
  /** Byte range in the (inflated) object: [start, end), the line ending included. */
  start: number;
  end: number;
  /** One value per field; null for LazySimpleSerDe's null marker `\N`. */
  fields: (string | null)[];
}

export interface CsvObject {
  /** The object's bytes, inflated when it was gzip. */
  bytes: Uint8Array;
  /** Where the header lines end (0 without header lines). */
  headerEnd: number;
  rows: CsvRow[];
}

const LF = 0x0a;
const CR = 0x0d;

/** The object's bytes, inflated when the caller says it is gzip (never guessed from its content). */
export async function csvBytes(
  input: Uint8Array,
  compressed: boolean,
  object: string | undefined,
): Promise<Uint8Array> {
  // An empty object is an empty table, gzip or not (a writer may leave one for an empty partition).
  if (!compressed || input.length === 0) return input;
  try {
    return await gunzip(input);
  } catch (err) {
    throw new CorruptObjectError(object, "gzip stream", messageOf(err));
  }
}

/** Reads the rows of an (inflated) object; every row gets as many fields as the table has columns. */
export function readCsv(bytes: Uint8Array, dialect: CsvDialect, object?: string): CsvObject {
  const { headerEnd, firstLine } = skipLines(bytes, dialect.skipHeaderLines);
  const frames = frameRows(bytes, headerEnd, firstLine, dialect, object);
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const texts = frames.map((f) => {
    try {
      return decoder.decode(bytes.subarray(f.start, f.contentEnd));
    } catch {
      throw new CsvFormatError(object, f.line, "not valid UTF-8");
    }
  });
  const fields =
    dialect.quote === null
      ? texts.map((t) => splitUnquoted(t, dialect))
      : quotedFields(texts, frames, dialect, object);
  const rows = frames.map((f, i) => {
    if (fields[i].length !== dialect.columns.length)
      // The SerDes pad a short row with NULLs and drop a long row's extra fields, but a row of another
      // width mostly means a separator in an unquoted value: its ID would be read from the wrong field.
      throw new CsvFormatError(
        object,
        f.line,
        `${fields[i].length} field(s), but the table has ${dialect.columns.length} column(s)`,
      );
    return { line: f.line, start: f.start, end: f.end, fields: fields[i] };
  });
  return { bytes, headerEnd, rows };
}

interface Frame {
  line: number;
  start: number;
  /** Where the row's text ends, before its line ending. */
  contentEnd: number;
  end: number;
}

/** The end of the first `count` physical lines (LF, CRLF or CR ends one, as Hadoop's line reader). */
function skipLines(bytes: Uint8Array, count: number): { headerEnd: number; firstLine: number } {
  let i = 0;
  let line = 1;
  while (line <= count && i < bytes.length) {
    const c = bytes[i++];
    if (c === LF || c === CR) {
      if (c === CR && bytes[i] === LF) i++;
      line++;
    }
  }
  return { headerEnd: i, firstLine: line };
}

/**
 * Rows from `start`: a line ending ends a row unless it lies inside a quoted field. A quote opens a
 * quoted field only at a field's start; inside one, a doubled quote or the escape character followed by
 * any character does not close it. Empty lines are not rows.
 */
function frameRows(
  bytes: Uint8Array,
  start: number,
  firstLine: number,
  d: CsvDialect,
  object?: string,
): Frame[] {
  const quote = d.quote === null ? -1 : d.quote.charCodeAt(0);
  const escape = d.escape === null || d.escape === d.quote ? -1 : d.escape.charCodeAt(0);
  const separator = d.separator.charCodeAt(0);
  const frames: Frame[] = [];
  const n = bytes.length;
  let i = start;
  let line = firstLine;
  while (i < n) {
    const rowStart = i;
    const rowLine = line;
    let inQuotes = false;
    let fieldStart = true;
    let contentEnd = -1;
    while (i < n) {
      const c = bytes[i];
      if (inQuotes) {
        if (c === escape && i + 1 < n) {
          if (bytes[i + 1] === LF || (bytes[i + 1] === CR && bytes[i + 2] !== LF)) line++;
          i += 2;
        } else if (c === quote) {
          inQuotes = bytes[i + 1] === quote; // a doubled quote stays inside the field
          i += inQuotes ? 2 : 1;
        } else {
          if (c === LF || (c === CR && bytes[i + 1] !== LF)) line++;
          i++;
        }
        continue;
      }
      if (c === LF || c === CR) {
        contentEnd = i;
        i += c === CR && bytes[i + 1] === LF ? 2 : 1;
        line++;
        break;
      }
      if (c === quote && fieldStart) inQuotes = true;
      fieldStart = c === separator;
      i++;
    }
    if (inQuotes)
      throw new CsvFormatError(object, rowLine, "a quoted field is not closed before the end of the object");
    if (contentEnd < 0) contentEnd = n; // the last line, without a line ending
    if (contentEnd > rowStart) frames.push({ line: rowLine, start: rowStart, contentEnd, end: i });
  }
  return frames;
}

/** LazySimpleSerDe's reading: split on the separator, the escape character takes the next one literally. */
function splitUnquoted(text: string, d: CsvDialect): (string | null)[] {
  const fields: (string | null)[] = [];
  let raw = "";
  let value = "";
  const push = () => fields.push(raw === "\\N" ? null : value); // Hive's serialization.null.format
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === d.escape && i + 1 < text.length) {
      raw += c + text[i + 1];
      value += text[++i];
    } else if (c === d.separator) {
      push();
      raw = value = "";
    } else {
      raw += c;
      value += c;
    }
  }
  push();
  return fields;
}

/**
 * OpenCSVSerde's reading, by csv-parse over the rows' texts (one row per line, so its records are our
 * rows). OpenCSVSerde takes both a doubled quote and the escape character before a quote inside a
 * quoted field; csv-parse takes one of the two, so an object is read with the escape character and,
 * when that fails, with doubled quotes. An object mixing both is refused at the first row neither reads.
 */
function quotedFields(texts: string[], frames: Frame[], d: CsvDialect, object?: string): string[][] {
  if (texts.length === 0) return [];
  const escapes = d.escape === null || d.escape === d.quote ? [d.quote] : [d.escape, d.quote];
  const read = (text: string, escape: string | null) =>
    parse(text, {
      delimiter: d.separator,
      quote: d.quote,
      escape,
      record_delimiter: "\n",
      relax_column_count: true,
      skip_empty_lines: false,
      bom: false,
    }) as string[][];
  const joined = texts.join("\n");
  for (const escape of escapes) {
    try {
      const records = read(joined, escape);
      if (records.length === texts.length) return records;
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
    }
  }
  // Name the first row that no reading takes.
  for (let i = 0; i < texts.length; i++) {
    let problem = "";
    for (const escape of escapes) {
      try {
        const records = read(texts[i], escape);
        if (records.length === 1) {
          problem = "";
          break;
        }
        problem = `read as ${records.length} rows`;
      } catch (err) {
        if (!(err instanceof CsvError)) throw err;
        problem ||= describe(err);
      }
    }
    if (problem) throw new CsvFormatError(object, frames[i].line, problem);
  }
  throw new CsvFormatError(
    object,
    frames[0].line,
    "rows use both doubled quotes and the escape character before a quote; OpenCSVSerde reads both, but one object must use one",
  );
}

function describe(err: CsvError): string {
  switch (err.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return "a quoted field is not closed";
    case "CSV_INVALID_CLOSING_QUOTE":
      return "a closing quote is followed by something other than a separator or the line's end";
    case "INVALID_OPENING_QUOTE":
      return "a quote inside an unquoted field";
    default:
      return err.message.replace(/ at line \d+/, "");
  }
}
