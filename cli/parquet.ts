// `lethe parquet purge|scan`: the file-level purge engine on local files.
import * as fs from "node:fs";
import { CommandGroup, UsageError, subcommandGroup } from "./command";
import { KeyMatcher, MatchSpecError, keyMatcher, keyParts } from "../runtime/purge/matcher";
import { purgeParquetFile, withFileSource } from "../runtime/purge/localFiles";
import { ParquetFormatError, UnfaithfulRewriteError, scanParquet } from "../runtime/purge/parquetPurge";
import { CorruptObjectError } from "../runtime/purge/corruptObject";
import { readIdFile } from "./idFiles";

const usage = `lethe parquet purge <in> <out> --column <name> [--column <name> ...] (--ids <file> | --ids-json <file>)
    write <out> without the rows whose key is in the ID list; prints row counts. --ids: one ID per
    line, exactly as written (only the line ending is removed), composite keys tab-separated in
    column order; --ids-json: a JSON array of strings, or of arrays of strings for composite keys
    (IDs with any characters). A dotted column name reaches into a struct
lethe parquet scan <file> --column <name> [--column <name> ...] (--ids <file> | --ids-json <file>)
    print which IDs occur in <file> and in how many rows`;

interface Parsed {
  positional: string[];
  columns: string[];
  ids?: { path: string; format: "lines" | "json" };
}

function parseArgs(args: string[]): Parsed {
  const out: Parsed = { positional: [], columns: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--column" || a === "--ids" || a === "--ids-json") {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      if (a === "--column") out.columns.push(v);
      else if (out.ids) throw new UsageError("give one ID list: --ids or --ids-json, once");
      else out.ids = { path: v, format: a === "--ids" ? "lines" : "json" };
    } else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
    else out.positional.push(a);
  }
  if (out.columns.length === 0) throw new UsageError("at least one --column is required");
  if (!out.ids) throw new UsageError("--ids <file> is required (or --ids-json <file>)");
  return out;
}

function loadMatcher(p: Parsed): KeyMatcher {
  const { path, format } = p.ids!;
  const keys = readIdFile(path, format, p.columns.length);
  try {
    return keyMatcher(p.columns, keys);
  } catch (err) {
    if (err instanceof MatchSpecError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}

function requireReadable(file: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (!fs.statSync(file).isFile()) throw new Error("not a file");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Engine errors caused by the input become usage errors (exit 2) naming the file. */
async function asUsage<T>(file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (
      err instanceof ParquetFormatError ||
      err instanceof MatchSpecError ||
      err instanceof CorruptObjectError ||
      err instanceof UnfaithfulRewriteError
    ) {
      throw new UsageError(`${file}: ${err.message}`);
    }
    throw err;
  }
}

async function purge(args: string[]): Promise<number> {
  const p = parseArgs(args);
  if (p.positional.length !== 2) throw new UsageError("purge needs <in> and <out>");
  const [input, output] = p.positional;
  requireReadable(input);
  const matcher = loadMatcher(p);
  const stats = await asUsage(input, () => purgeParquetFile(input, output, matcher));
  process.stdout.write(
    JSON.stringify({
      rowsBefore: stats.rowsBefore,
      rowsAfter: stats.rowsAfter,
      rowsRemoved: stats.rowsRemoved,
    }) + "\n",
  );
  return 0;
}

async function scan(args: string[]): Promise<number> {
  const p = parseArgs(args);
  if (p.positional.length !== 1) throw new UsageError("scan needs one <file>");
  const [file] = p.positional;
  requireReadable(file);
  const matcher = loadMatcher(p);
  const found = await asUsage(file, () => withFileSource(file, (source) => scanParquet(source, matcher)));
  const matches = [...found.matches].map(([key, rows]) => {
    const parts = keyParts(key, matcher.columns.length);
    return { id: parts.length === 1 ? parts[0] : parts, rows };
  });
  process.stdout.write(
    JSON.stringify({ rows: found.rows, matchingRows: matches.reduce((n, m) => n + m.rows, 0), matches }) +
      "\n",
  );
  return 0;
}

export const parquetCommands: CommandGroup = subcommandGroup("parquet", usage, { purge, scan });
