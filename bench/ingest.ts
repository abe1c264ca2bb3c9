// Ingest guard benchmark: base64 JSON records of ~500 bytes pushed through the Firehose
// transformation handler in-process, with 1 M opted-out IDs in the filter. The registry is in
// memory (its cost is the few DynamoDB confirmations the filter lets through, counted below).
// Reference in the same run: the floor any JSON-reading transformer pays (base64 decode + parse).
// Run: npm run bench:ingest
import { randomUUID } from "node:crypto";
import * as os from "node:os";
import { BloomFilter } from "../runtime/ingest/bloomFilter";
import { RecordGuard, FirehoseRecord } from "../runtime/ingest/recordGuard";
import { OptOutLookup } from "../runtime/ingest/optOutRegistry";
import { createIngestTransformerHandler } from "../runtime/handlers/ingestTransformer";
import { sized } from "./smoke";

// Quiet Powertools for the run: metrics are still computed per batch, just not printed.
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_LOG_LEVEL = "ERROR";

const optedOutCount = Number(process.env.INGEST_BENCH_OPTED_OUT ?? sized(1_000_000, 1_000));
const activeUsers = Number(process.env.INGEST_BENCH_USERS ?? sized(100_000, 500));
const recordsTotal = Number(process.env.INGEST_BENCH_RECORDS ?? sized(1_000_000, 2_000));
const batchSize = 2000; // ~1 MiB of records: what Firehose hands the Lambda at the default buffer
const optedOutShare = 0.01;

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

class MemoryRegistry implements OptOutLookup {
  keys = 0;
  constructor(private readonly ids: Set<string>) {}
  async optedOut(customerIds: readonly string[]): Promise<Set<string>> {
    this.keys += customerIds.length;
    return new Set(customerIds.filter((id) => this.ids.has(id)));
  }
}

async function main() {
  console.log(
    `ingest bench: node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"}, one thread; load average ` +
      `${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; rates per CPU-second (wall alongside)`,
  );
  const optedOut = Array.from({ length: optedOutCount }, () => randomUUID());
  const optedSet = new Set(optedOut);
  const filter = BloomFilter.from(optedOut, 1e-4);
  const registry = new MemoryRegistry(optedSet);
  const guard = new RecordGuard({
    filters: { current: async () => ({ filter, generation: 1 }) },
    registry,
    cacheTtlMs: 300_000,
    cacheMaxEntries: 100_000,
  });
  const handler = createIngestTransformerHandler({}, guard);

  // 1 % of active users are opted out (their records must be dropped); the rest are not in the filter.
  const users = Array.from({ length: activeUsers }, (_, i) =>
    i < activeUsers * optedOutShare ? optedOut[i] : randomUUID(),
  );
  const pad = "x".repeat(300);
  let seq = 0;
  const makeBatch = (): FirehoseRecord[] =>
    Array.from({ length: batchSize }, () => {
      const u = users[Math.floor(Math.random() * users.length)];
      const body = JSON.stringify({
        customer_id: u,
        event_time: "2026-11-29T12:00:00.000Z",
        event_type: "screen_view",
        payload: JSON.stringify({ screen: "checkout", app: "lethe-demo", seq: seq, pad }),
      });
      return {
        recordId: `r-${seq++}`,
        data: Buffer.from(body).toString("base64"),
        approximateArrivalTimestamp: 0,
      };
    });
  // 50 distinct batches (100 k records) cycled: the generator must not dominate memory or time.
  const batches = Array.from({ length: 50 }, makeBatch);
  const avgBytes =
    batches[0].reduce((n, r) => n + Buffer.from(r.data, "base64").length, 0) / batches[0].length;
  const event = (i: number) => ({
    invocationId: `inv-${i}`,
    deliveryStreamArn: "arn:aws:firehose:eu-west-1:123456789012:deliverystream/bench",
    region: "eu-west-1",
    records: batches[i % batches.length],
  });

  // Reference: decode + parse only.
  const floor = () => {
    let n = 0;
    for (let b = 0; b < recordsTotal / batchSize; b++) {
      for (const r of batches[b % batches.length]) {
        const o = JSON.parse(Buffer.from(r.data, "base64").toString("utf8"));
        if (typeof o.customer_id === "string") n++;
      }
    }
    return n;
  };
  floor(); // warm-up
  gc();
  let c = process.cpuUsage();
  let t = process.hrtime.bigint();
  floor();
  const floorCpu = cpuSeconds(c);
  const floorWall = Number(process.hrtime.bigint() - t) / 1e9;

  for (let i = 0; i < 20; i++) await handler(event(i)); // warm-up
  registry.keys = 0;
  gc();
  let dropped = 0;
  let ok = 0;
  let failed = 0;
  c = process.cpuUsage();
  t = process.hrtime.bigint();
  for (let i = 0; i < recordsTotal / batchSize; i++) {
    const out = await handler(event(i));
    for (const r of out.records) {
      if (r.result === "Ok") ok++;
      else if (r.result === "Dropped") dropped++;
      else failed++;
    }
  }
  const cpu = cpuSeconds(c);
  const wallS = Number(process.hrtime.bigint() - t) / 1e9;
  const rate = recordsTotal / cpu;

  console.log(
    `\n${recordsTotal} records of ~${avgBytes.toFixed(0)} bytes (base64 JSON), batches of ${batchSize}`,
  );
  console.log(`filter: ${optedOutCount} opted-out IDs, FPR 1e-4, ${filter.serialize().length} bytes`);
  console.log(`results: ${ok} Ok, ${dropped} Dropped, ${failed} ProcessingFailed`);
  console.log(
    `registry keys asked: ${registry.keys} (after warm-up: opted-out users not yet cached + filter false positives)`,
  );
  console.log(
    `\nguard handler:        ${(rate / 1e3).toFixed(0)} k records/s per CPU-second (wall ${(recordsTotal / wallS / 1e3).toFixed(0)} k/s)`,
  );
  console.log(
    `reference (decode+parse only): ${(recordsTotal / floorCpu / 1e3).toFixed(0)} k records/s (wall ${(recordsTotal / floorWall / 1e3).toFixed(0)} k/s)`,
  );
  console.log(
    `guard / reference:    ${((rate / (recordsTotal / floorCpu)) * 100).toFixed(0)} % of the parse-only floor`,
  );
  console.log(`goal >= 200 k/s:      ${rate >= 200_000 ? "PASS" : "FAIL"} (${(rate / 200_000).toFixed(2)}x)`);
  console.log(
    `vs Localytics' whole pipeline (50 k data points/s): ${(rate / 50_000).toFixed(1)}x on one core`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
