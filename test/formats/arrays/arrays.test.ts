// IDs inside arrays (a LIST of IDs, a field of the structs of a LIST) in Parquet and JSON Lines written
// by pyarrow and Python: a row goes when any element matches, every other row is kept (values for
// Parquet, bytes for JSON Lines), and scan and keysInObject count what Python counts.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DataMapperFormat } from "../../../runtime/contracts/mappers";
import { lakeFormatOf } from "../../../runtime/formats";
import { bufferSource } from "../../../runtime/formats/byteSource";
import { purgeBytes } from "../../../runtime/purge/purgeBytes";
import { keyMatcher, MatchSpecError } from "../../../runtime/subjects/matcher";
import { ArrayFixtures, checkArrayPurge, writeArrayFixtures } from "./arraysLake";

describe("formats: IDs inside arrays", function () {
  this.timeout(60_000);
  let fixtures: ArrayFixtures;
  before(() => {
    fixtures = writeArrayFixtures();
  });
  after(() => fs.rmSync(fixtures.dir, { recursive: true, force: true }));

  const cases: { column: string; ids: string[] }[] = [
    { column: "customer_ids[]", ids: ["c2", "c7", "c19"] },
    // 2^53 + 1: read exactly, not as its neighbour 2^53.
    { column: "contacts[].customer_id", ids: ["3", "11", "9007199254740993"] },
  ];
  const formats: { format: DataMapperFormat; file: () => string }[] = [
    { format: "parquet", file: () => fixtures.parquet },
    { format: "jsonl", file: () => fixtures.jsonl },
  ];

  for (const { format, file } of formats) {
    for (const { column, ids } of cases) {
      it(`${format}, ${column}: purges the rows any of whose elements matches, and keeps every other row`, async () => {
        const input = fs.readFileSync(file());
        const mapper = { name: "events", format };
        const { bytes, stats } = await purgeBytes(input, mapper, keyMatcher([column], ids));
        const purged = path.join(fixtures.dir, `purged-${format}-${column.replace(/\W/g, "_")}.${format}`);
        fs.writeFileSync(purged, bytes);
        const check = checkArrayPurge({ original: file(), purged, column, ids });
        expect(check.problems).to.deep.equal([]);
        expect(stats.rowsAfter).to.equal(check.kept);
        expect(stats.rowsBefore).to.equal(check.rows);
        // The fixture has rows of both kinds.
        expect(check.kept).to.be.within(1, check.rows - 1);
      });

      it(`${format}, ${column}: scan and keysInObject count each ID's rows as Python does`, async () => {
        const input = fs.readFileSync(file());
        const lake = lakeFormatOf({ format });
        const check = checkArrayPurge({ original: file(), purged: file(), column, ids: [] });
        const scan = await lake.scan(bufferSource(input), keyMatcher([column], ids));
        const expected = ids.filter((id) => check.keys[id]).map((id) => [id, check.keys[id]]);
        expect(expected.length).to.be.greaterThan(1);
        expect([...scan.matches].sort()).to.deep.equal(expected.sort());
        const keys = await lake.keysInObject(bufferSource(input), [column]);
        expect(keys.rows).to.equal(check.rows);
        expect(Object.fromEntries(keys.keys)).to.deep.equal(check.keys);
      });
    }
  }

  it("parquet, field by field (big row groups): the same rows go, every other row is kept", async () => {
    const { column, ids } = cases[1];
    const input = fs.readFileSync(fixtures.parquet);
    const { bytes, stats } = await purgeBytes(
      input,
      { name: "events", format: "parquet" },
      keyMatcher([column], ids),
      { fieldByFieldFromBytes: 1 },
    );
    expect(stats.rowGroups.every((g) => g.fieldByField)).to.equal(true);
    const purged = path.join(fixtures.dir, "purged-field-by-field.parquet");
    fs.writeFileSync(purged, bytes);
    const check = checkArrayPurge({ original: fixtures.parquet, purged, column, ids });
    expect(check.problems).to.deep.equal([]);
    expect(stats.rowsAfter).to.equal(check.kept);
  });

  it("parquet: a composite key with an array part matches a row holding both parts", async () => {
    const input = fs.readFileSync(fixtures.parquet);
    const lake = lakeFormatOf({ format: "parquet" });
    const all = await lake.keysInObject(bufferSource(input), ["customer_ids[]", "contacts[].customer_id"]);
    const some = [...all.keys.keys()].sort()[0];
    const parts = JSON.parse(some) as string[];
    expect(parts).to.have.length(2);
    const scan = await lake.scan(
      bufferSource(input),
      keyMatcher(["customer_ids[]", "contacts[].customer_id"], [parts]),
    );
    expect([...scan.matches]).to.deep.equal([[some, all.keys.get(some)]]);
  });

  it("refuses a path through something that is not a list, naming it", async () => {
    const input = fs.readFileSync(fixtures.parquet);
    for (const column of ["note[]", "event_id[]", "customer_ids"]) {
      let err: unknown;
      try {
        await purgeBytes(input, { name: "events", format: "parquet" }, keyMatcher([column], ["x"]));
      } catch (e) {
        err = e;
      }
      expect(err, column).to.be.instanceOf(MatchSpecError);
      expect((err as Error).message).to.include(column);
    }
    let hinted: unknown;
    await purgeBytes(
      fs.readFileSync(fixtures.parquet),
      { name: "events", format: "parquet" },
      keyMatcher(["contacts.customer_id"], ["1"]),
    ).catch((e: unknown) => (hinted = e));
    expect((hinted as Error).message).to.match(/'contacts' is a list: name its elements with \[\]/);
  });
});
