// `lethe parquet purge|scan`: the file-level purge engine on local files.
import * as fs from "node:fs";
import { Command, Option } from "commander";
import { UsageError, action, collect, examples } from "./command";
import type { KeyMatcher } from "../runtime/subjects/matcher";
import { readIdFile } from "./idFiles";

interface Parsed {
  columns: string[];
  ids?: { path: string; format: "lines" | "json" };
}

interface ParquetOptions {
  column: string[];
  ids?: string;
  idsJson?: string;
}

function parsed(o: ParquetOptions): Parsed {
  if (o.ids === undefined && o.idsJson === undefined)
    throw new UsageError("--ids <file> is required (or --ids-json <file>)");
  return {
    columns: o.column,
    ids: o.ids !== undefined ? { path: o.ids, format: "lines" } : { path: o.idsJson!, format: "json" },
  };
}

// The engine is loaded when a command runs: parquet-wasm is heavy, and `lethe --help` loads this file.
const engine = () => ({
  ...(require("../runtime/subjects/matcher") as typeof import("../runtime/subjects/matcher")),
  ...(require("../runtime/purge/localFiles") as typeof import("../runtime/purge/localFiles")),
  ...(require("../runtime/formats/parquet/parquetPurge") as typeof import("../runtime/formats/parquet/parquetPurge")),
  ...(require("../runtime/formats/corruptObject") as typeof import("../runtime/formats/corruptObject")),
});

function loadMatcher(p: Parsed): KeyMatcher {
  const { MatchSpecError, keyMatcher } = engine();
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
  const { ParquetFormatError, MatchSpecError, CorruptObjectError, UnfaithfulRewriteError } = engine();
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

async function purge(input: string, output: string, options: ParquetOptions): Promise<number> {
  const p = parsed(options);
  const { purgeParquetFile } = engine();
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

async function scan(file: string, options: ParquetOptions): Promise<number> {
  const p = parsed(options);
  const { withFileSource, scanParquet, keyParts } = engine();
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

const keyOptions = (cmd: Command) =>
  cmd
    .requiredOption(
      "--column <name>",
      "a key column (repeat for a composite key, in order; a dotted name reaches into a struct)",
      collect,
    )
    .addOption(
      new Option(
        "--ids <file>",
        "IDs one per line, exactly as written (only the line ending is removed); composite keys tab-separated in column order",
      ).conflicts("idsJson"),
    )
    .addOption(
      new Option(
        "--ids-json <file>",
        "a JSON array of strings, or of arrays of strings for composite keys (IDs with any characters)",
      ),
    );

export function registerParquet(program: Command): void {
  const parquet = program
    .command("parquet")
    .description("the file-level purge engine on local Parquet files");
  examples(
    action(
      keyOptions(
        parquet
          .command("purge")
          .description("write <out> without the rows whose key is in the ID list; prints row counts (JSON)")
          .argument("<in>", "the Parquet file to read")
          .argument("<out>", "where the purged copy goes"),
      ),
      purge,
    ),
    [
      "lethe parquet purge part-0.parquet clean.parquet --column customer_id --ids ids.txt",
      "lethe parquet purge in.parquet out.parquet --column tenant --column user.id --ids-json keys.json",
    ],
  );
  examples(
    action(
      keyOptions(
        parquet
          .command("scan")
          .description("print which IDs occur in <file> and in how many rows (JSON)")
          .argument("<file>", "the Parquet file to read"),
      ),
      scan,
    ),
    ["lethe parquet scan part-0.parquet --column customer_id --ids ids.txt"],
  );
}
