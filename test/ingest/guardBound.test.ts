// The ingest guard's bound (docs/bloom.md, "The bound"), measured against moto with short intervals:
// once a subject is registered (and, as intake does, a filter rebuild is published), its records are
// dropped within one refresh interval, whether the guard had cached "not opted out" for it under the
// old filter or without one; and a filter whose pointer cannot be read stops being trusted after
// the configured staleness. The guard is built as the deployed transformer builds it (from its env).
import { expect } from "chai";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Logger } from "@aws-lambda-powertools/logger";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { envNames } from "../../runtime/contracts/env";
import { buildOptOutFilter } from "../../runtime/ingest/filterBuilder";
import { FilterLocation, pointerKey, readFilter, readPointer } from "../../runtime/ingest/filterStore";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { RecordGuard } from "../../runtime/ingest/recordGuard";
import { createIngestTransformerHandler, recordGuardFromEnv } from "../../runtime/handlers/ingestTransformer";
import { createLakeBucket, createOptOutTable, event, firehoseRecord, fixtureHasher } from "./fixtures";
import { captureStdout } from "../support/captureStdout";
import { withEnvironment } from "../../local/program/packaging";

const REFRESH_MS = 300;
const MAX_STALENESS_MS = 800;
/** Scheduling, moto round trips and the polling step on a loaded 2-core machine. */
const SLACK_MS = 700;

/** The EMF metrics object the handler printed while `run` ran. */
async function metricsOf(run: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const { output } = await captureStdout(run);
  const line = output.map((l) => l.trim()).find((l) => l.includes('"_aws"') && l.includes("RecordsIn"));
  return JSON.parse(line!);
}

describe("ingest guard: the bound on a new opt-out", () => {
  const s3 = makeS3Client();
  let table: string;
  let location: FilterLocation;
  let registry: OptOutRegistry;

  beforeEach(async () => {
    table = await createOptOutTable();
    location = await createLakeBucket();
    registry = new OptOutRegistry(makeDocumentClient(), table);
  });

  function guardFromEnv(): RecordGuard {
    return recordGuardFromEnv(
      {
        [envNames.optOutTable]: table,
        [envNames.filterBucket]: location.bucket,
        [envNames.filterPrefix]: location.prefix,
        [envNames.kmsKeyArn]: location.kmsKeyArn,
        [envNames.refreshSeconds]: String(REFRESH_MS / 1000),
        [envNames.maxStalenessSeconds]: String(MAX_STALENESS_MS / 1000),
        // Long on purpose: the bound must not depend on the cache expiring.
        [envNames.cacheTtlSeconds]: "3600",
      },
      new Logger({ serviceName: "lethe-ingest-guard-test", logLevel: "SILENT" }),
    );
  }

  const result = async (guard: RecordGuard, id: string) => {
    const out = await guard.transform([firehoseRecord("r", { customer_id: id })]);
    return { result: out.records[0].result, stats: out.stats };
  };

  /** Sends the subject's record every 20 ms until it is dropped; ms from `since`, or Infinity. */
  async function msUntilDropped(guard: RecordGuard, id: string, since: number, limitMs: number) {
    for (;;) {
      const { result: r, stats } = await result(guard, id);
      const elapsed = performance.now() - since;
      if (r === "Dropped") return { elapsed, stats };
      if (elapsed > limitMs) return { elapsed: Infinity, stats };
      await new Promise((done) => setTimeout(done, 20));
    }
  }

  it("drops a subject cached as 'not opted out' (a filter positive) within one refresh of the new generation", async () => {
    // A deliberately loose filter (50 % false positives) so that the subject is a positive of
    // generation 1 without being opted out: the guard confirms it and caches "not opted out".
    await registry.add("early", "req-1");
    await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 0.5,
      hasher: await fixtureHasher(),
    });
    const first = await readFilter(s3, location, (await readPointer(s3, location))!);
    const subject = Array.from({ length: 100 }, (_, i) => `subject-${i}`).find((id) => first.has(id))!;
    const guard = guardFromEnv();
    const before = await result(guard, subject);
    expect([before.result, before.stats.generation, before.stats.dynamoLookups]).to.deep.equal(["Ok", 1, 1]);
    expect((await result(guard, subject)).stats.cacheHits, "the answer is cached").to.equal(1);

    const registered = performance.now();
    await registry.add(subject, "req-2");
    await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 0.5,
      hasher: await fixtureHasher(),
    });
    const publishedMs = performance.now() - registered;
    const { elapsed, stats } = await msUntilDropped(guard, subject, registered, 10_000);
    console.log(
      `      bound measured: dropped ${elapsed.toFixed(0)} ms after registration (publication ${publishedMs.toFixed(0)} ms, refresh ${REFRESH_MS} ms)`,
    );
    expect(stats.generation).to.equal(2);
    expect(elapsed, "ms until dropped").to.be.at.most(publishedMs + REFRESH_MS + SLACK_MS);
  });

  it("drops a subject cached as 'not opted out' without any filter within one refresh of its registration", async () => {
    const guard = guardFromEnv(); // nothing published: every record is confirmed
    const before = await result(guard, "subject");
    expect([before.result, before.stats.fallbackReason]).to.deep.equal(["Ok", "no filter published yet"]);
    const registered = performance.now();
    await registry.add("subject", "req-1");
    const { elapsed } = await msUntilDropped(guard, "subject", registered, 10_000);
    console.log(`      bound measured (no filter): dropped ${elapsed.toFixed(0)} ms after registration`);
    expect(elapsed, "ms until dropped").to.be.at.most(REFRESH_MS + SLACK_MS);
  });

  it("stops trusting a filter whose pointer cannot be read after the staleness limit, and says so", async () => {
    await registry.add("early", "req-1");
    await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    const guard = guardFromEnv();
    expect((await result(guard, "subject")).stats).to.include({ generation: 1, filterStale: false });
    // The pointer becomes unreadable; the subject opts out meanwhile (no new generation can be seen).
    const lastRead = performance.now();
    await s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: pointerKey(location), Body: "{" }));
    await registry.add("subject", "req-2");
    const { elapsed, stats } = await msUntilDropped(guard, "subject", lastRead, 10_000);
    console.log(
      `      bound measured (pointer unreadable): dropped ${elapsed.toFixed(0)} ms after the last pointer read (limit ${MAX_STALENESS_MS} ms, refresh ${REFRESH_MS} ms)`,
    );
    expect(stats.filterStale, "the stale state is reported (metric FilterStale)").to.equal(true);
    expect(stats.fallbackReason).to.match(/^filter pointer unreadable for \d+ s: /);
    expect(elapsed, "ms until dropped").to.be.at.most(MAX_STALENESS_MS + REFRESH_MS + SLACK_MS);
    expect(elapsed, "not before the staleness limit").to.be.at.least(MAX_STALENESS_MS);
    // Metrics on whatever an earlier test in this process left in the environment.
    const emf = await metricsOf(() =>
      withEnvironment({ POWERTOOLS_METRICS_DISABLED: "false" }, () =>
        createIngestTransformerHandler({}, guard)(event([firehoseRecord("r", { customer_id: "other" })])),
      ),
    );
    expect(emf, "the metric the FilterStale alarm watches").to.include({
      FilterStale: 1,
      service: "lethe-ingest-guard",
    });
  });
});
