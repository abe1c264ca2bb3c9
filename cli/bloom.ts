// `lethe bloom build|check`: build an opt-out filter from a file of IDs (one per line) and check IDs
// against a filter file, offline. Same code and file format as the deployed filter builder.
import * as fs from "node:fs";
import { Command, Option } from "commander";
import { UsageError, action, examples, jsonOption } from "./command";
import type { BloomFilter } from "../runtime/ingest/bloomFilter";

// Loaded when a command runs: `lethe --help` loads only the definitions.
const filters = () =>
  require("../runtime/ingest/bloomFilter") as typeof import("../runtime/ingest/bloomFilter");
const readIdFile: typeof import("./idFiles").readIdFile = (...args) =>
  (require("./idFiles") as typeof import("./idFiles")).readIdFile(...args);

function readFile(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} '${path}': ${code === "ENOENT" ? "no such file" : code}`);
  }
}

/** The IDs of --ids or --ids-json (one of them), by the rules of runtime/subjects/subjectIds.ts. */
function readIds(flags: IdOptions): string[] {
  if (flags.idsJson !== undefined) return readIdFile(flags.idsJson, "json", 1).map(([id]) => id);
  if (flags.ids === undefined) throw new UsageError("missing --ids <file> (or --ids-json <file>)");
  return readIdFile(flags.ids, "lines", 1).map(([id]) => id);
}

interface IdOptions {
  ids?: string;
  idsJson?: string;
}

function build(flags: IdOptions & { fpr: string; out: string; json?: boolean }): number {
  const outPath = flags.out;
  const rawFpr = flags.fpr;
  const fpr = Number(rawFpr);
  if (!Number.isFinite(fpr) || fpr <= 0 || fpr >= 1) {
    throw new UsageError(`--fpr must be a number between 0 and 1 (exclusive), got '${rawFpr}'`);
  }
  const ids = [...new Set(readIds(flags))];
  const filter = filters().BloomFilter.from(ids, fpr);
  const bytes = filter.serialize();
  try {
    fs.writeFileSync(outPath, bytes);
  } catch (err) {
    throw new UsageError(`cannot write '${outPath}': ${(err as NodeJS.ErrnoException).code}`);
  }
  if (flags.json) {
    const report = {
      items: filter.itemCount,
      bits: filter.bitCount,
      hashes: filter.hashCount,
      bytes: bytes.length,
      expectedFalsePositiveRate: filter.expectedFalsePositiveRate(),
      written: outPath,
    };
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    return 0;
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

function check(flags: IdOptions & { filter: string; list?: boolean; json?: boolean }): number {
  const filterPath = flags.filter;
  const { BloomFilter, BloomFormatError } = filters();
  let filter: BloomFilter;
  try {
    filter = BloomFilter.deserialize(readFile(filterPath, "filter"), filterPath);
  } catch (err) {
    if (err instanceof BloomFormatError) throw new UsageError(err.message);
    throw err;
  }
  const ids = readIds(flags);
  const present = ids.filter((id) => filter.has(id));
  if (flags.json) {
    const report = {
      checked: ids.length,
      possiblyPresent: present.length,
      ...(flags.list ? { ids: present } : {}),
    };
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    return 0;
  }
  if (flags.list) for (const id of present) process.stdout.write(`${id}\n`);
  process.stdout.write(`possibly present: ${present.length} of ${ids.length}\n`);
  return 0;
}

const idOptions = (cmd: Command) =>
  cmd
    .addOption(new Option("--ids <file>", "IDs, one per line, exactly as written").conflicts("idsJson"))
    .addOption(new Option("--ids-json <file>", "IDs as a JSON array of strings"));

export function registerBloom(program: Command): void {
  const bloom = program
    .command("bloom")
    .description("build an opt-out bloom filter from IDs, and check IDs against one, offline");
  examples(
    action(
      idOptions(
        bloom
          .command("build")
          .description("build a bloom filter from IDs at a false-positive rate 0 < rate < 1")
          .requiredOption("--fpr <rate>", "false-positive rate, e.g. 0.0001")
          .requiredOption("--out <file>", "where the filter goes")
          .addOption(jsonOption()),
      ),
      build,
    ),
    ["lethe bloom build --ids ids.txt --fpr 0.0001 --out optout.bloom"],
  );
  examples(
    action(
      idOptions(
        bloom
          .command("check")
          .description("count (and with --list print) the IDs the filter reports as possibly present")
          .requiredOption("--filter <file>", "a filter from `lethe bloom build`")
          .option("--list", "print each possibly-present ID")
          .addOption(jsonOption()),
      ),
      check,
    ),
    [
      "lethe bloom check --filter optout.bloom --ids query.txt --list",
      "lethe bloom check --filter optout.bloom --ids-json query.json --json",
    ],
  );
}
