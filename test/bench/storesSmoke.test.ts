// `npm run bench:stores -- --smoke` (see ./smoke.test.ts): it loads rows into this machine's
// PostgreSQL, so it runs in the lane of the other PostgreSQL tests (test/support/lanes.ts).
import { benchSmoke } from "./benchSmoke";

describe("benchmarks: bench:stores in smoke mode", function () {
  this.timeout(600_000);

  it("npm run bench:stores -- --smoke exits 0 and prints its figures", () =>
    benchSmoke("bench:stores", /DynamoDB \(moto\), 16 in flight: \d+ subjects/));
});
