// Copy-on-write erasure from Iceberg tables written by PyIceberg through its Glue catalog on the
// emulator (local/fixtures/iceberg_tables.py), read back by PyIceberg after Lethe's erasure:
// the subjects are gone from the current snapshot and every snapshot kept, every other row is intact,
// and no version of any object under the table's location holds a subject's ID.
import { expect } from "chai";
import { CreateBucketCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { makeGlueClient, makeS3Client } from "../../../runtime/aws/clients";
import {
  eraseFromIcebergTable,
  type IcebergEraseSettings,
} from "../../../runtime/erasure/iceberg/icebergErase";
import { parseExactJson, stringifyExactJson } from "../../../runtime/erasure/iceberg/exactJson";
import { IcebergRefusal } from "../../../runtime/erasure/iceberg/refusals";
import { underLocation } from "../../../runtime/erasure/iceberg/s3Files";
import { keyMatcher } from "../../../runtime/subjects/matcher";
import {
  addFileOutside,
  appendRows,
  grepEveryVersion,
  makeTable,
  readTable,
  tagFirstSnapshot,
  type TableRead,
} from "../../../local/fixtures/icebergTables";

const s3 = makeS3Client();
const glue = makeGlueClient();
const bucket = `lethe-iceberg-${Date.now()}`;
const database = "lake";
// cust-00005 was in the first commit (every snapshot holds it); cust-00100 in the last append.
const subjects = ["cust-00005", "cust-00100"];
let tableCount = 0;

function rowIds(read: TableRead): string[] {
  return read.current!.ids;
}

async function freshTable(partitioned: boolean, version: 1 | 2): Promise<string> {
  const table = `t${++tableCount}_${partitioned ? "p" : "u"}${version}`;
  makeTable(database, table, bucket, partitioned, version);
  return table;
}

function settings(table: string, extra: Partial<IcebergEraseSettings> = {}): IcebergEraseSettings {
  return { s3, glue, database, table, matcher: keyMatcher(["customer_id"], subjects), ...extra };
}

async function expectErased(table: string, before: TableRead, extraIds: string[] = []) {
  const after = readTable(database, table);
  const expected = [...rowIds(before), ...extraIds].filter((id) => !subjects.includes(id)).sort();
  expect(rowIds(after)).to.deep.equal(expected);
  // Every other column of every other row as it was.
  const untouched = before.current!.rows.filter((r) => !subjects.some((s) => r.includes(`"${s}"`)));
  for (const r of untouched) expect(after.current!.rows).to.include(r);
  for (const [id, ids] of Object.entries(after.snapshots))
    expect(
      ids.filter((x) => subjects.includes(x)),
      `snapshot ${id}`,
    ).to.deep.equal([]);
  const grep = await grepEveryVersion(s3, bucket, `warehouse/${table}/`, subjects);
  expect(grep.hits).to.deep.equal([]);
  expect(grep.versions).to.be.greaterThan(0);
  return after;
}

describe("Iceberg erasure (PyIceberg tables on the emulator)", function () {
  this.timeout(120_000);

  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
  });

  it("a partitioned v2 table: rewritten, old snapshots expired, every file and version cleaned", async () => {
    const table = await freshTable(true, 2);
    const before = readTable(database, table);
    expect(rowIds(before)).to.include.members(subjects);
    const beforeGrep = await grepEveryVersion(s3, bucket, `warehouse/${table}/`, subjects);
    expect(beforeGrep.hits.length).to.be.greaterThan(0); // manifests' bounds and data files hold them
    const figures = await eraseFromIcebergTable(settings(table));
    expect(figures.filesRewritten).to.equal(2);
    expect(figures.rowsRemoved).to.equal(2);
    expect(figures.snapshotsExpired).to.equal(5);
    expect(figures.cleanup.versionsDeleted).to.be.greaterThan(0);
    const after = await expectErased(table, before);
    expect(after.current!.operation).to.equal("overwrite");
    expect(Object.keys(after.snapshots)).to.deep.equal([after.current!.snapshot]);
    // The rewritten files' manifest entries carry their own counts (from the new footers).
    const rewritten = after.files.filter((f) => /\/lethe-[0-9a-f-]+\.parquet$/.test(f.path));
    expect(rewritten).to.have.length(2);
    for (const f of rewritten) {
      expect(f.valueCounts).to.deep.equal({ 1: f.records, 2: f.records, 3: f.records, 4: f.records });
      expect(f.nullCounts).to.deep.equal({ 1: 0, 2: 0, 3: 0, 4: 0 });
    }
    console.log(`      figures: ${JSON.stringify(figures)}`);
  });

  it("an unpartitioned v1 table", async () => {
    const table = await freshTable(false, 1);
    const before = readTable(database, table);
    const figures = await eraseFromIcebergTable(settings(table));
    expect(figures.rowsRemoved).to.equal(2);
    await expectErased(table, before);
  });

  it("a writer committing during the erasure: Lethe re-plans, both commits survive", async () => {
    const table = await freshTable(true, 2);
    const before = readTable(database, table);
    const figures = await eraseFromIcebergTable(
      settings(table, {
        beforeCommit: async (attempt) => {
          // The writer's rows include a subject's: the re-plan must erase them too.
          if (attempt !== 1) return;
          appendRows(database, table, 200, 5);
          appendRows(database, table, 100, 1);
        },
      }),
    );
    expect(figures.attempts).to.equal(2);
    const extra = ["cust-00200", "cust-00201", "cust-00202", "cust-00203", "cust-00204", "cust-00100"];
    await expectErased(table, before, extra);
  });

  it("a crash between the commit and the clean-up: a re-run converges, nothing left", async () => {
    const table = await freshTable(false, 2);
    const before = readTable(database, table);
    const crash = new Error("crashed after the commit");
    let err: unknown;
    await eraseFromIcebergTable(settings(table, { afterCommit: () => Promise.reject(crash) })).catch(
      (e) => (err = e),
    );
    expect(err).to.equal(crash);
    const leftover = await grepEveryVersion(s3, bucket, `warehouse/${table}/`, subjects);
    expect(leftover.hits.length).to.be.greaterThan(0); // old snapshots' files still there
    const rerun = await eraseFromIcebergTable(settings(table));
    expect(rerun.metadataLocation).to.equal(undefined); // nothing left to rewrite
    expect(rerun.cleanup.versionsDeleted).to.be.greaterThan(0);
    await expectErased(table, before);
  });

  it("a tag on a snapshot holding a subject: refused, then dropped with dropRefs", async () => {
    const table = await freshTable(true, 2);
    tagFirstSnapshot(database, table, "audit-2026");
    const before = readTable(database, table);
    let err: unknown;
    await eraseFromIcebergTable(settings(table)).catch((e) => (err = e));
    expect(err).to.be.instanceOf(IcebergRefusal);
    expect((err as Error).message).to.match(/'audit-2026'.*dropRefs: true/);
    expect(readTable(database, table).current!.snapshot).to.equal(before.current!.snapshot); // nothing committed
    const figures = await eraseFromIcebergTable(settings(table, { dropRefs: true }));
    expect(figures.refsDropped).to.deep.equal(["audit-2026"]);
    const after = await expectErased(table, before);
    expect(Object.keys(after.refs)).to.deep.equal(["main"]);
  });

  it("a subject's rows in a file outside the table's location: refused, nothing written or deleted", async () => {
    const table = await freshTable(true, 2);
    const outside = `s3://${bucket}/elsewhere/${table}.parquet`;
    addFileOutside(database, table, outside, 99); // cust-00099 ... in one partition
    const before = readTable(database, table);
    let err: unknown;
    await eraseFromIcebergTable({
      ...settings(table),
      matcher: keyMatcher(["customer_id"], ["cust-00099"]),
    }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(IcebergRefusal);
    expect((err as Error).message)
      .to.include(`outside the table's location`)
      .and.include(outside);
    const after = readTable(database, table);
    expect(after.current!.snapshot).to.equal(before.current!.snapshot);
    expect(after.current!.ids).to.include("cust-00099");
  });
});

describe("Iceberg erasure: what is under a table's location, exact snapshot ids", () => {
  it("a sibling table's prefix is not under the location, whatever the trailing slash", () => {
    expect(underLocation("s3://lake/warehouse/t1/data/a.parquet", "s3://lake/warehouse/t1")).to.equal(true);
    expect(underLocation("s3a://lake/warehouse/t1/data/a.parquet", "s3://lake/warehouse/t1/")).to.equal(true);
    expect(underLocation("s3://lake/warehouse/t10/data/a.parquet", "s3://lake/warehouse/t1")).to.equal(false);
    expect(underLocation("s3://lake2/warehouse/t1/data/a.parquet", "s3://lake/warehouse/t1")).to.equal(false);
  });

  it("64-bit snapshot ids survive a read and a write of the metadata JSON digit for digit", () => {
    const text =
      '{"current-snapshot-id":2530960330092934504,"snapshots":[{"snapshot-id":9223372036854775807,"n":1.5}]}';
    expect(stringifyExactJson(parseExactJson(text))).to.equal(text);
  });
});
