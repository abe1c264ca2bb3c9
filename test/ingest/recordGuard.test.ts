// The ingest guard against the emulator: the stream (1 M records, 100 k users, 10 k opted
// out), malformed records, a new filter generation, and the fail-safe paths.
import { expect } from "chai";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { OptOutLookup, OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { buildOptOutFilter } from "../../runtime/ingest/filterBuilder";
import { FilterEvent, RefreshingFilterSource } from "../../runtime/ingest/filterSource";
import { generationKey, readPointer } from "../../runtime/ingest/filterStore";
import { RecordGuard } from "../../runtime/ingest/recordGuard";
import { bulkOptOut, createLakeBucket, createOptOutTable, firehoseRecord, fixtureHasher } from "./fixtures";
import { seededRandom as random } from "../support/seededRandom";

/** Counts the IDs the guard asks the registry about. */
class CountingLookup implements OptOutLookup {
  asked: string[] = [];
  constructor(private readonly inner: OptOutLookup) {}
  optedOut(ids: readonly string[]): Promise<Set<string>> {
    this.asked.push(...ids);
    return this.inner.optedOut(ids);
  }
}

describe("ingest: the guard in front of Firehose (moto)", () => {
  it("passes no record of the 10 k opted-out users in 1 M records from 100 k, and every other one unchanged", async function () {
    this.timeout(300_000);
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    const s3 = makeS3Client();
    const users = 100_000;
    const isOptedOut = (u: number) => u % 10 === 7;
    const userId = (u: number) => `user-${u.toString(36).padStart(4, "0")}-${(u * 2654435761) >>> 0}`;
    const opted = Array.from({ length: users }, (_, u) => u)
      .filter(isOptedOut)
      .map(userId);
    expect(opted).to.have.length(10_000);
    await bulkOptOut(table, opted);
    const registry = new OptOutRegistry(makeDocumentClient(), table);
    await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });

    const lookups = new CountingLookup(registry);
    const guard = new RecordGuard({
      filters: new RefreshingFilterSource(s3, location, { refreshMs: 60_000, maxStalenessMs: 3_600_000 }),
      registry: lookups,
      cacheTtlMs: 3_600_000,
      cacheMaxEntries: 100_000,
    });
    const next = random(6);
    const padding = "x".repeat(300);
    let dropped = 0;
    let passed = 0;
    const batch = 2000;
    for (let start = 0; start < 1_000_000; start += batch) {
      const users_: number[] = [];
      const records = [];
      for (let i = 0; i < batch; i++) {
        const u = Math.floor(next() * users);
        users_.push(u);
        records.push(
          firehoseRecord(`r${start + i}`, {
            customer_id: userId(u),
            event_time: "2026-11-29T12:00:00Z",
            event_type: "page_view",
            payload: JSON.stringify({ path: "/checkout", pad: padding }),
          }),
        );
      }
      const { records: out, stats } = await guard.transform(records);
      expect(stats.generation).to.equal(1);
      for (let i = 0; i < batch; i++) {
        const r = out[i];
        expect(r.recordId).to.equal(records[i].recordId);
        if (isOptedOut(users_[i])) {
          if (r.result !== "Dropped")
            expect.fail(`record ${r.recordId} of an opted-out user came back ${r.result}`);
          dropped++;
        } else {
          if (r.result !== "Ok" || r.data !== records[i].data)
            expect.fail(`record ${r.recordId} was not passed unchanged`);
          passed++;
        }
      }
    }
    expect(dropped + passed).to.equal(1_000_000);
    expect(dropped).to.be.within(95_000, 105_000);
    // Each ID reaches DynamoDB once (the cache), and only opted-out IDs plus the filter's false positives.
    expect(new Set(lookups.asked).size).to.equal(lookups.asked.length);
    const optedSet = new Set(opted);
    const falsePositiveLookups = lookups.asked.filter((id) => !optedSet.has(id)).length;
    const expected = 90_000 * 1e-4; // non-members x FPR = 9
    expect(falsePositiveLookups).to.be.at.most(expected * 5);
    expect(lookups.asked.length).to.be.at.most(10_000 + expected * 5);
  });

  it("fails malformed records (ProcessingFailed, data kept for the error prefix) and never drops them silently", async () => {
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    const registry = new OptOutRegistry(makeDocumentClient(), table);
    await registry.add("42", "req-num");
    await registry.add("gone", "req-1");
    await buildOptOutFilter(registry, makeS3Client(), location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    const guard = new RecordGuard({
      filters: new RefreshingFilterSource(makeS3Client(), location, {
        refreshMs: 60_000,
        maxStalenessMs: 3_600_000,
      }),
      registry,
      cacheTtlMs: 60_000,
      cacheMaxEntries: 1000,
    });
    const input = [
      firehoseRecord("not-json", "customer_id=gone"),
      firehoseRecord("array", [{ customer_id: "gone" }]),
      firehoseRecord("no-id", { event_type: "x" }),
      firehoseRecord("empty-id", { customer_id: "" }),
      firehoseRecord("object-id", { customer_id: { id: "gone" } }),
      firehoseRecord("null", "null"),
      { recordId: "empty-data", data: "", approximateArrivalTimestamp: 0 },
      firehoseRecord("numeric-opted-out", { customer_id: 42 }),
      firehoseRecord("ok", { customer_id: "stays" }),
      firehoseRecord("gone", { customer_id: "gone" }),
    ];
    const { records, stats } = await guard.transform(input);
    expect(records.map((r) => [r.recordId, r.result])).to.deep.equal([
      ["not-json", "ProcessingFailed"],
      ["array", "ProcessingFailed"],
      ["no-id", "ProcessingFailed"],
      ["empty-id", "ProcessingFailed"],
      ["object-id", "ProcessingFailed"],
      ["null", "ProcessingFailed"],
      ["empty-data", "ProcessingFailed"],
      ["numeric-opted-out", "Dropped"],
      ["ok", "Ok"],
      ["gone", "Dropped"],
    ]);
    expect(records.map((r) => r.data)).to.deep.equal(input.map((r) => r.data));
    expect(stats).to.include({ recordsIn: 10, failed: 7, dropped: 2, ok: 1 });
  });

  it("picks up a new generation after the refresh interval, not before", async () => {
    const s3 = makeS3Client();
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    const registry = new OptOutRegistry(makeDocumentClient(), table);
    await registry.add("early", "req-1");
    await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    let now = 1_000_000;
    const events: FilterEvent[] = [];
    const guard = new RecordGuard({
      filters: new RefreshingFilterSource(
        s3,
        location,
        { refreshMs: 30_000, maxStalenessMs: 3_600_000 },
        (e) => events.push(e),
        () => now,
      ),
      registry,
      cacheTtlMs: 60_000,
      cacheMaxEntries: 1000,
    });
    const late = () => guard.transform([firehoseRecord("1", { customer_id: "late" })]);
    let out = await late();
    expect([out.records[0].result, out.stats.generation, out.stats.dynamoLookups]).to.deep.equal([
      "Ok",
      1,
      0,
    ]);

    await registry.add("late", "req-2");
    await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    now += 29_000;
    out = await late();
    expect([out.records[0].result, out.stats.generation], "still within the refresh interval").to.deep.equal([
      "Ok",
      1,
    ]);
    now += 2_000;
    out = await late();
    expect([out.records[0].result, out.stats.generation]).to.deep.equal(["Dropped", 2]);
    expect(
      events.filter((e) => e.kind === "loaded").map((e) => (e as { generation: number }).generation),
    ).to.deep.equal([1, 2]);
  });

  it("confirms every record in DynamoDB when no filter was published, or the newest one is corrupt", async () => {
    const s3 = makeS3Client();
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    const registry = new OptOutRegistry(makeDocumentClient(), table);
    await registry.add("gone", "req-1");
    const lookups = new CountingLookup(registry);
    let now = 0;
    const guard = new RecordGuard({
      filters: new RefreshingFilterSource(
        s3,
        location,
        { refreshMs: 10_000, maxStalenessMs: 3_600_000 },
        undefined,
        () => now,
      ),
      registry: lookups,
      cacheTtlMs: 1,
      cacheMaxEntries: 1000,
    });
    const batch = [
      firehoseRecord("a", { customer_id: "gone" }),
      firehoseRecord("b", { customer_id: "stays" }),
      firehoseRecord("c", { customer_id: "gone" }),
    ];
    let out = await guard.transform(batch);
    expect(out.records.map((r) => r.result)).to.deep.equal(["Dropped", "Ok", "Dropped"]);
    expect(out.stats.fallbackReason).to.equal("no filter published yet");
    expect(lookups.asked.sort()).to.deep.equal(["gone", "stays"]);

    // Generation 1 is fine, then generation 2 arrives corrupt: the guard must not keep trusting 1.
    await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    now += 10_000;
    out = await guard.transform(batch);
    expect(out.stats.generation).to.equal(1);
    await registry.add("new", "req-2");
    await buildOptOutFilter(registry, s3, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    const pointer = (await readPointer(s3, location))!;
    await s3.send(
      new PutObjectCommand({ Bucket: location.bucket, Key: generationKey(location, 2), Body: "garbage" }),
    );
    expect(pointer.generation).to.equal(2);
    now += 10_000;
    lookups.asked = [];
    await new Promise((r) => setTimeout(r, 5)); // let the 1 ms cache entries expire
    out = await guard.transform([...batch, firehoseRecord("d", { customer_id: "new" })]);
    expect(out.stats.generation).to.equal(undefined);
    expect(out.stats.fallbackReason).to.match(/filter generation 2 unusable: .*not a Lethe bloom filter/);
    expect(out.records.map((r) => r.result)).to.deep.equal(["Dropped", "Ok", "Dropped", "Dropped"]);
    expect(lookups.asked.sort()).to.deep.equal(["gone", "new", "stays"]);
  });

  it("lets nothing through when DynamoDB cannot confirm: the invocation fails and Firehose retries", async () => {
    const location = await createLakeBucket();
    const guard = new RecordGuard({
      filters: new RefreshingFilterSource(makeS3Client(), location, {
        refreshMs: 60_000,
        maxStalenessMs: 3_600_000,
      }),
      registry: new OptOutRegistry(makeDocumentClient(), "no-such-table"),
      cacheTtlMs: 60_000,
      cacheMaxEntries: 10,
    });
    let error: Error | undefined;
    await guard.transform([firehoseRecord("a", { customer_id: "someone" })]).catch((e) => (error = e));
    expect(error?.name).to.equal("ResourceNotFoundException");
  });
});
