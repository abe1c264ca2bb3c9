// The transformer's filter source against the emulator: an S3 hiccup on the pointer keeps the filter
// it holds (at most one refresh old), but without a filter it means fallback.
import { expect } from "chai";
import { S3Client } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { buildOptOutFilter } from "../../runtime/ingest/filterBuilder";
import { FilterEvent, RefreshingFilterSource } from "../../runtime/ingest/filterSource";
import { createLakeBucket, createOptOutTable, fixtureHasher } from "./fixtures";

describe("ingest: refreshing filter source (moto)", () => {
  it("keeps its filter when the pointer cannot be read, and falls back when it never had one", async () => {
    const real = makeS3Client();
    const location = await createLakeBucket();
    const registry = new OptOutRegistry(makeDocumentClient(), await createOptOutTable());
    await registry.add("gone", "req-1");
    await buildOptOutFilter(registry, real, location, {
      falsePositiveRate: 1e-4,
      hasher: await fixtureHasher(),
    });
    let failing = false;
    const flaky = {
      send: async (cmd: never) => {
        if (failing) {
          const e = new Error("We encountered an internal error. Please try again.");
          e.name = "InternalError";
          throw e;
        }
        return real.send(cmd);
      },
    } as unknown as S3Client;
    let now = 0;
    const events: FilterEvent[] = [];
    const source = new RefreshingFilterSource(
      flaky,
      location,
      { refreshMs: 1000, maxStalenessMs: 3_600_000 },
      (e) => events.push(e),
      () => now,
    );
    expect((await source.current()).generation).to.equal(1);
    failing = true;
    now += 1000;
    const kept = await source.current();
    expect(kept.generation).to.equal(1);
    expect(kept.filter!.has("gone")).to.equal(true);
    expect(events.at(-1)).to.deep.include({ kind: "kept", generation: 1 });

    const cold = new RefreshingFilterSource(
      flaky,
      location,
      { refreshMs: 1000, maxStalenessMs: 3_600_000 },
      (e) => events.push(e),
      () => now,
    );
    const state = await cold.current();
    expect(state.filter).to.equal(undefined);
    expect(state.reason).to.match(/^filter pointer unreadable: We encountered an internal error/);
    // And it tries again only after the refresh interval.
    failing = false;
    expect((await cold.current()).filter).to.equal(undefined);
    now += 1000;
    expect((await cold.current()).generation).to.equal(1);
  });
});
