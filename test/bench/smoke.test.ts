// Every `npm run bench:*` in its small, fast mode (`--smoke`, bench/smoke.ts), so that a benchmark
// cannot break unseen: each must exit 0 and print its figures. The figures themselves mean nothing
// here (benchmarks are scripts, never timed assertions). bench:stores is checked apart
// (./storesSmoke.test.ts): it uses the database the store tests use, so it runs in their lane.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { benchSmoke } from "./benchSmoke";

const root = path.resolve(__dirname, "../..");

/** What each benchmark prints once it has measured everything (its last figures). */
const lastFigures: Record<string, RegExp> = {
  "bench:bloom": /false positives: \d+ of \d+/,
  "bench:ingest": /goal >= 200 k\/s:/,
  "bench:purge": /ratio lethe\/duckdb \(goal <= 0\.6\): [\d.]+/,
  "bench:find": /same objects: yes/,
  "bench:forget": /1 worker\(s\): [\d.]+ objects\/s/,
  "bench:erasure": /goal: the whole erasure within 60 s/,
  "bench:lock": /contended, 100 keys, \d+ clients:/,
  "bench:local": /lethe api --local answering\s+median\s+[\d.]+ s/,
  "bench:iceberg": /time:\s+\d+ ms/,
};

describe("benchmarks: every npm run bench:* in smoke mode", function () {
  // Seconds each on an idle machine; the ones with a local stack provision it first.
  this.timeout(600_000);

  it("has a smoke check for every bench:* script", () => {
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts);
    expect(scripts.filter((s) => s.startsWith("bench:")).sort()).to.deep.equal(
      [...Object.keys(lastFigures), "bench:stores"].sort(),
    );
  });

  for (const [script, figures] of Object.entries(lastFigures)) {
    it(`npm run ${script} -- --smoke exits 0 and prints its figures`, () => benchSmoke(script, figures));
  }
});
