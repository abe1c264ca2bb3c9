// How `npm test` deals the test files into units (test/support/lanes.ts): a folder is one unit unless
// its files, as last timed, add up to more than the limit; then it is split into units of about equal
// length, and the PostgreSQL users stay one unit (their files share one database's tables).
import { expect } from "chai";
import * as path from "node:path";
import { units } from "./support/lanes";

const erasure = ["approval", "batching", "bigRequest", "cancelStatus", "deadlines"].map((f) =>
  path.join("test", "erasure", `${f}.test.ts`),
);
const postgres = path.join("test", "stores", "postgres.test.ts");

describe("test lanes: units of test files", () => {
  it("a folder within the limit is one unit, named by its folder, with its files in order", () => {
    const seconds = Object.fromEntries(erasure.map((f) => [f, 10]));
    expect(units(erasure, seconds, 240)).to.deep.equal([
      { name: "test/erasure", files: erasure, seconds: 50 },
    ]);
  });

  it("a longer folder is split into units of about equal length, each file in exactly one", () => {
    const seconds = {
      [erasure[0]]: 200,
      [erasure[1]]: 150,
      [erasure[2]]: 100,
      [erasure[3]]: 60,
      [erasure[4]]: 40,
    };
    const split = units(erasure, seconds, 200);
    expect(split.map((u) => u.name)).to.deep.equal([
      "test/erasure (1/3)",
      "test/erasure (2/3)",
      "test/erasure (3/3)",
    ]);
    expect(split.flatMap((u) => u.files).sort()).to.deep.equal([...erasure].sort());
    expect(split.map((u) => u.seconds)).to.deep.equal([200, 190, 160]);
    // Within a unit the files keep the folder's order.
    for (const u of split) expect(u.files).to.deep.equal(erasure.filter((f) => u.files.includes(f)));
  });

  it("an untimed file counts as 30 s, and the PostgreSQL files are never split", () => {
    expect(units(erasure, {}, 100).length).to.equal(2); // 5 x 30 s over a 100 s limit
    const pg = units([postgres], { [postgres]: 10_000 }, 100);
    expect(pg).to.deep.equal([{ name: "postgresql", files: [postgres], seconds: 10_000 }]);
  });
});
