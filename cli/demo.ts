// `lethe demo`: the main job on the embedded local default. Starts the local AWS emulator (unless
// AWS_ENDPOINT_URL names one), lays out Lethe's data plane and a sample lake, erases customers end
// to end, and prints the report. Exit 0 when the erasure completed, 1 when it did not.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { CommandGroup, UsageError } from "./command";

export const demoCommands: CommandGroup = {
  usage: [
    "lethe demo [--erase <id,id,...>] [--customers <n>] [--objects-per-day <n>] [--rows <n>]",
    "    erase customers from a sample lake end to end against the local AWS emulator; prints the report",
  ].join("\n"),
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        erase: { type: "string", default: "cust-0042,cust-0137" },
        customers: { type: "string", default: "500" },
        "objects-per-day": { type: "string", default: "3" },
        rows: { type: "string", default: "20000" },
      },
      strict: true,
    });
    const whole = (name: string, v: string, min: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min)
        throw new UsageError(`--${name} must be a whole number of at least ${min}, got '${v}'`);
      return n;
    };
    const customers = whole("customers", values.customers!, 1);
    const objectsPerDay = whole("objects-per-day", values["objects-per-day"]!, 1);
    const rows = whole("rows", values.rows!, 10);
    const subjects = values
      .erase!.split(",")
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
  },
};
