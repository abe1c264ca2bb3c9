// `lethe index backfill`: index what the data mappers' locations already hold (parsing and printing;
// the work is runtime/erasure/metastore/backfill.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { subcommandGroup, UsageError } from "./command";
import { makeDocumentClient, makeS3Client } from "../runtime/aws/clients";
import { DataMapper, dataMappersFromEnv } from "../runtime/contracts/mappers";
import { envNames } from "../runtime/contracts/env";
import { indexHasherFromEnv } from "../runtime/erasure/metastore/indexHasher";
import { backfillMapper } from "../runtime/erasure/metastore/backfill";

const usage = `lethe index backfill [--mapper M] [--all-versions] [--stack-outputs <file>] [--checkpoint-dir <dir>]
    index every current object (every version with --all-versions) of each data mapper, or of M;
    resumable: progress is kept in <dir>/index-backfill-<mapper>.json (default .lethe/)`;

interface BackfillArgs {
  mapper?: string;
  allVersions: boolean;
  stackOutputs?: string;
  checkpointDir: string;
}

export function parseBackfillArgs(args: string[]): BackfillArgs {
  const out: BackfillArgs = { allVersions: false, checkpointDir: ".lethe" };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--mapper") out.mapper = value();
    else if (a === "--all-versions") out.allVersions = true;
    else if (a === "--stack-outputs") out.stackOutputs = value();
    else if (a === "--checkpoint-dir") out.checkpointDir = value();
    else throw new UsageError(`unknown option ${a}\n\n${usage}`);
  }
  return out;
}

function stackOutputs(file: string | undefined): {
  indexTable: string;
  subjectHashKeyArn: string;
  dataMappers: DataMapper[];
} {
  if (!file)
    throw new UsageError("--stack-outputs <file> is required (pulumi stack output --json > outputs.json)");
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`cannot read stack outputs ${file}: ${(e as Error).message}`);
  }
  for (const key of ["indexTable", "subjectHashKeyArn"])
    if (typeof raw[key] !== "string") throw new UsageError(`${file} has no ${key} output`);
  const mappers = dataMappersFromEnv({ M: JSON.stringify(raw.dataMappers ?? null) }, "M");
  return {
    indexTable: raw.indexTable as string,
    subjectHashKeyArn: raw.subjectHashKeyArn as string,
    dataMappers: mappers,
  };
}

async function backfill(args: string[]): Promise<number> {
  const opts = parseBackfillArgs(args);
  const outputs = stackOutputs(opts.stackOutputs);
  const mappers = opts.mapper
    ? outputs.dataMappers.filter((m) => m.name === opts.mapper)
    : outputs.dataMappers;
  if (mappers.length === 0) {
    throw new UsageError(
      `no data mapper named ${opts.mapper}; the stack has ${outputs.dataMappers.map((m) => m.name).join(", ")}`,
    );
  }
  fs.mkdirSync(opts.checkpointDir, { recursive: true });
  const deps = {
    s3: makeS3Client(),
    doc: makeDocumentClient(),
    indexTable: outputs.indexTable,
    mappers: outputs.dataMappers,
    // The stack's HMAC key, as its functions use it, so the CLI writes the hashes find looks up.
    hashSubject: await indexHasherFromEnv({ [envNames.subjectHashKeyArn]: outputs.subjectHashKeyArn }),
  };
  for (const mapper of mappers) {
    const checkpointFile = path.join(
      opts.checkpointDir,
      `index-backfill-${mapper.name}${opts.allVersions ? "-all" : ""}.json`,
    );
    const done = await backfillMapper(deps, mapper, {
      allVersions: opts.allVersions,
      checkpointFile,
      onProgress: (p) =>
        process.stderr.write(
          `${p.mapper}: ${p.versions} version(s), ${p.entries} entries, at ${p.lastKey}\n`,
        ),
    });
    process.stdout.write(`${mapper.name}: indexed ${done.versions} version(s), ${done.entries} entries\n`);
  }
  return 0;
}

export const indexCommands = subcommandGroup("index", usage, { backfill });
