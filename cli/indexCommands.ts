// `lethe index backfill`: index what the data mappers' locations already hold (parsing and printing;
// the work is runtime/erasure/metastore/backfill.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { StackFlags, UsageError, action, examples, jsonOption, stackOptions } from "./command";
import { startProgress } from "../local/progress";

interface BackfillOptions extends StackFlags {
  mapper?: string;
  allVersions?: boolean;
  checkpointDir: string;
  json?: boolean;
}

async function backfill(opts: BackfillOptions): Promise<number> {
  const { resolveStackOutputs, requiredOutput, useStackEnvironment } = await import("./work/stackOutputs");
  const { makeDocumentClient, makeS3Client } = await import("../runtime/aws/clients");
  const { dataMappersFromEnv } = await import("../runtime/contracts/mappers");
  const { envNames } = await import("../runtime/contracts/env");
  const { indexHasherFromEnv } = await import("../runtime/erasure/metastore/indexHasher");
  const { backfillMapper } = await import("../runtime/erasure/metastore/backfill");

  const resolved = resolveStackOutputs(opts);
  const indexTable = requiredOutput(resolved, "indexTable");
  const subjectHashKeyArn = requiredOutput(resolved, "subjectHashKeyArn");
  const dataMappers = dataMappersFromEnv({ M: JSON.stringify(resolved.outputs.dataMappers ?? null) }, "M");
  useStackEnvironment(resolved.outputs);
  const mappers = opts.mapper ? dataMappers.filter((m) => m.name === opts.mapper) : dataMappers;
  if (mappers.length === 0) {
    throw new UsageError(
      `no data mapper named ${opts.mapper}; the stack has ${dataMappers.map((m) => m.name).join(", ")}`,
    );
  }
  fs.mkdirSync(opts.checkpointDir, { recursive: true });
  const deps = {
    s3: makeS3Client(),
    doc: makeDocumentClient(),
    indexTable,
    mappers: dataMappers,
    // The stack's HMAC key, as its functions use it, so the CLI writes the hashes find looks up.
    hashSubject: await indexHasherFromEnv({ [envNames.subjectHashKeyArn]: subjectHashKeyArn }),
  };
  const results: { mapper: string; versions: number; entries: number }[] = [];
  for (const mapper of mappers) {
    const checkpointFile = path.join(
      opts.checkpointDir,
      `index-backfill-${mapper.name}${opts.allVersions ? "-all" : ""}.json`,
    );
    // How many versions there are is not known before listing them all: a count, not a bar.
    const progress = startProgress(mapper.name, undefined);
    const done = await backfillMapper(deps, mapper, {
      allVersions: opts.allVersions === true,
      checkpointFile,
      onProgress: (p) =>
        progress.update(p.versions, `${p.versions} version(s), ${p.entries} entries, at ${p.lastKey}`),
    }).finally(() => progress.done());
    if (done.startedOver) process.stderr.write(`${mapper.name}: started over: ${done.startedOver}\n`);
    results.push({ mapper: mapper.name, versions: done.versions, entries: done.entries });
    if (!opts.json)
      process.stdout.write(`${mapper.name}: indexed ${done.versions} version(s), ${done.entries} entries\n`);
  }
  if (opts.json) process.stdout.write(JSON.stringify({ indexed: results }, null, 2) + "\n");
  return 0;
}

export function registerIndex(program: Command): void {
  const index = program.command("index").description("the index metastore: which object versions hold whom");
  examples(
    action(
      stackOptions(
        index
          .command("backfill")
          .description(
            "index every current object (every version with --all-versions) of each data mapper, or of one; resumable: progress is kept in <dir>/index-backfill-<mapper>.json",
          )
          .option("--mapper <name>", "only this data mapper")
          .option("--all-versions", "every object version, not only the current ones")
          .option("--checkpoint-dir <dir>", "where the resume points are kept", ".lethe")
          .addOption(jsonOption()),
      ),
      backfill,
    ),
    [
      "lethe index backfill --stack-outputs outputs.json",
      "lethe index backfill --stack prod --mapper orders-customer --all-versions",
    ],
  );
}
