// `lethe lake load`: data into a data mapper's location in the local stack (cli/work/lakeLoad.ts does
// the work). Parsing and printing only.
import { Command } from "commander";
import { StackFlags, UsageError, action, examples, jsonOption, stackOptions, wholeNumber } from "./command";
import { withWaitLabel } from "./waits";

interface LoadOptions extends StackFlags {
  mapper?: string;
  sample?: boolean;
  customers: number;
  days: number;
  direct?: boolean;
  json?: boolean;
}

async function loadCommand(files: string[], o: LoadOptions): Promise<number> {
  const { resolveStackOutputs, useStackEnvironment } = await import("./work/stackOutputs");
  const resolved = resolveStackOutputs(o);
  if (!resolved.outputs.local)
    throw new UsageError(
      `lake load writes into a local stack; ${resolved.source} is a deployed stack's outputs (its lake is fed by its producers)`,
    );
  useStackEnvironment(resolved.outputs);
  const { loadLake } = await import("./work/lakeLoad");
  const stack = resolved.outputs as unknown as import("../runtime/contracts/stack").LocalStack;
  const work = () =>
    loadLake(stack, {
      mapper: o.mapper,
      files,
      ...(o.sample ? { sample: { customers: o.customers, days: o.days } } : {}),
      direct: o.direct === true,
    });
  const result = o.direct
    ? await work()
    : await withWaitLabel("lethe lake load", "the ingest guard (packaged as `pulumi up` would)", work);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const rows = result.objects.reduce((n, x) => n + x.rows, 0);
  const lines = [
    `lethe lake load: ${result.recordsIn} record(s) into mapper ${result.mapper} (${result.location}) ` +
      (result.path === "ingest" ? "through the ingest guard" : "directly"),
    ...result.objects.map(
      (x) => `  s3://${result.location.split("/")[2]}/${x.key}: ${x.rows} row(s), ${x.bytes} bytes`,
    ),
    `wrote ${result.objects.length} object(s), ${rows} row(s)` +
      (result.path === "ingest"
        ? `; the guard dropped ${result.dropped} (opted out), ${result.failed} failed`
        : ""),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

export function registerLake(program: Command): void {
  const lake = program.command("lake").description("the local stack's lake");
  examples(
    action(
      stackOptions(
        lake
          .command("load")
          .description(
            "put files (Parquet, JSON Lines; .gz) or a sample lake into a data mapper's location in the local stack, partitioned as the mapper declares, through the ingest guard or --direct",
          )
          .argument(
            "[files...]",
            "Parquet (.parquet) or JSON Lines (.jsonl, .json, .ndjson) files, optionally .gz",
          )
          .option("--mapper <name>", "the data mapper (default: the stack's only one, else events)")
          .option("--sample", "a generated sample lake instead of files")
          .option(
            "--customers <n>",
            "customers in the sample (cust-0000, …)",
            wholeNumber("customers", 1),
            50,
          )
          .option("--days <n>", "days of the sample (the days before today)", wholeNumber("days", 1), 2)
          .option("--direct", "straight into the mapper's location, not through the ingest guard")
          .addOption(jsonOption()),
      ),
      loadCommand,
    ),
    [
      "lethe lake load --sample --customers 500 --days 2",
      "lethe lake load events.jsonl.gz",
      "lethe lake load --direct --mapper clicks clicks-2026-12-01.jsonl",
    ],
    "0 written; 2 usage error (nothing written)",
  );
}
