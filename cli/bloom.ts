// `lethe bloom build|check`: build an opt-out filter from a file of IDs (one per line) and check IDs
// against a filter file, offline. Same code and file format as the deployed filter builder.
import * as fs from "node:fs";
import { CommandGroup, UsageError, subcommandGroup } from "./command";
import { BloomFilter, BloomFormatError } from "../runtime/ingest/bloomFilter";
import { readIdFile } from "./idFiles";

const usage = `lethe bloom build (--ids <file> | --ids-json <file>) --fpr <rate> --out <file>
    build a bloom filter from IDs at false-positive rate 0 < rate < 1 (--ids: one ID per line,
    exactly as written; --ids-json: a JSON array of strings)
lethe bloom check --filter <file> (--ids <file> | --ids-json <file>) [--list]
    count (and with --list print) the IDs the filter reports as possibly present`;

function parseFlags(args: string[], known: Record<string, "value" | "flag">): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'`);
    const name = a.slice(2);
    const kind = known[name];
    if (!kind) throw new UsageError(`unknown option '${a}'`);
    if (kind === "flag") {
      out[name] = true;
      continue;
    }
    const v = args[++i];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`option '${a}' needs a value`);
    out[name] = v;
  }
  return out;
}

function required(flags: Record<string, string | true>, name: string): string {
  const v = flags[name];
  if (typeof v !== "string") throw new UsageError(`missing --${name}`);
  return v;
}

function readFile(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} '${path}': ${code === "ENOENT" ? "no such file" : code}`);
  }
}

/** The IDs of --ids or --ids-json (one of them), by the rules of runtime/erasure/subjectIds.ts. */
function readIds(flags: Record<string, string | true>): string[] {
  const lines = flags.ids;
  const json = flags["ids-json"];
  if (typeof lines === "string" && typeof json === "string")
    throw new UsageError("give one ID list: --ids or --ids-json");
  if (typeof json === "string") return readIdFile(json, "json", 1).map(([id]) => id);
  return readIdFile(required(flags, "ids"), "lines", 1).map(([id]) => id);
}

function build(args: string[]): number {
  const flags = parseFlags(args, { ids: "value", "ids-json": "value", fpr: "value", out: "value" });
  const outPath = required(flags, "out");
  const rawFpr = required(flags, "fpr");
  const fpr = Number(rawFpr);
  if (!Number.isFinite(fpr) || fpr <= 0 || fpr >= 1) {
    throw new UsageError(`--fpr must be a number between 0 and 1 (exclusive), got '${rawFpr}'`);
  }
  const ids = [...new Set(readIds(flags))];
  const filter = BloomFilter.from(ids, fpr);
  const bytes = filter.serialize();
  try {
    fs.writeFileSync(outPath, bytes);
  } catch (err) {
    throw new UsageError(`cannot write '${outPath}': ${(err as NodeJS.ErrnoException).code}`);
  }
  process.stdout.write(
    [
      `items: ${filter.itemCount}`,
      `bits: ${filter.bitCount}`,
      `hashes: ${filter.hashCount}`,
      `bytes: ${bytes.length}`,
      `expected false-positive rate: ${filter.expectedFalsePositiveRate().toExponential(2)}`,
      `written: ${outPath}`,
    ].join("\n") + "\n",
  );
  return 0;
}

function check(args: string[]): number {
  const flags = parseFlags(args, { filter: "value", ids: "value", "ids-json": "value", list: "flag" });
  const filterPath = required(flags, "filter");
  let filter: BloomFilter;
  try {
    filter = BloomFilter.deserialize(readFile(filterPath, "filter"), filterPath);
  } catch (err) {
    if (err instanceof BloomFormatError) throw new UsageError(err.message);
    throw err;
  }
  const ids = readIds(flags);
  let present = 0;
  for (const id of ids) {
    if (filter.has(id)) {
      present++;
      if (flags.list) process.stdout.write(`${id}\n`);
    }
  }
  process.stdout.write(`possibly present: ${present} of ${ids.length}\n`);
  return 0;
}

export const bloomCommands: CommandGroup = subcommandGroup("bloom", usage, { build, check });
