// `lethe demo`: the main job on the embedded local default. Starts the local AWS emulator (unless
// AWS_ENDPOINT_URL names one), lays out Lethe's data plane and a sample lake, erases customers end
// to end, and prints the report. Exit 0 when the erasure completed, 1 when it did not.
import { randomUUID } from "node:crypto";
import { Command } from "commander";
import { UsageError, action, examples, wholeNumber } from "./command";

interface DemoOptions {
  erase: string;
  customers: number;
  objectsPerDay: number;
  rows: number;
}

async function demo(o: DemoOptions): Promise<number> {
  const { customers, objectsPerDay, rows } = o;
  const subjects = o.erase
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (subjects.length === 0) throw new UsageError("--erase needs at least one customer ID");

  process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  const { startLocalEmulator, useLocalEmulator } = await import("../tools/emulator");
  const { provisionLocalStack } = await import("../tools/localStack");
  const { writeSampleLake } = await import("../tools/sampleLake");
  const { localPipelineSettings } = await import("../tools/stackSettings");
  const { runLocalErasure } = await import("../runtime/erasure/localErasure");
  const { makeS3Client } = await import("../runtime/aws/clients");

  const emulator = process.env.AWS_ENDPOINT_URL ? undefined : await startLocalEmulator();
  try {
    if (emulator) useLocalEmulator(emulator.endpoint);
    process.stderr.write(`lethe demo: AWS endpoint ${process.env.AWS_ENDPOINT_URL ?? "(default AWS)"}\n`);
    // The same provisioning as `lethe up --local`: the program's own declarations.
    const { stack } = await provisionLocalStack();
    const ids = Array.from({ length: customers }, (_, i) => `cust-${String(i).padStart(4, "0")}`);
    const objects = await writeSampleLake(makeS3Client(), stack.lakeBucket, {
      days: ["2026-11-27", "2026-11-28"],
      objectsPerDay,
      rowsPerObject: rows,
      rowGroupRows: Math.max(1, Math.ceil(rows / 4)),
      customers: ids,
      runId: randomUUID().slice(0, 8),
    });
    process.stderr.write(
      `lethe demo: lake s3://${stack.lakeBucket}/ with ${objects.length} Parquet objects, ${objects.length * rows} rows, ${customers} customers\n`,
    );
    const report = await runLocalErasure({
      stack,
      objects,
      subjects,
      ...localPipelineSettings(),
      concurrency: 2,
    });
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    return report.status === "COMPLETED" ? 0 : 1;
  } finally {
    await emulator?.stop();
  }
}

export function registerDemo(program: Command): void {
  examples(
    action(
      program
        .command("demo")
        .description(
          "erase customers from a sample lake end to end against the local AWS emulator; prints the report (JSON)",
        )
        .option("--erase <ids>", "comma-separated customer IDs to erase", "cust-0042,cust-0137")
        .option("--customers <n>", "customers in the sample lake", wholeNumber("customers", 1), 500)
        .option("--objects-per-day <n>", "Parquet objects per day", wholeNumber("objects-per-day", 1), 3)
        .option("--rows <n>", "rows per object", wholeNumber("rows", 10), 20000),
      demo,
    ),
    ["lethe demo", "lethe demo --erase cust-0001,cust-0002 --rows 5000 > report.json"],
    "0 the erasure completed; 1 it did not; 2 usage error",
  );
}
