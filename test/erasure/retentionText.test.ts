// Retention erasure of text formats end to end on the emulator: JSON Lines (gzip) written by Python's
// json module in an unpartitioned location, and CSV written by Python's csv module in dt= partitions.
// The run drops what is wholly older (a partition, or an object whose every row is older: every
// version, no empty object written), rewrites the objects that straddle the cutoff keeping every newer
// line byte for byte as Python wrote it (spacing, quoting, CRLF, the header), and leaves newer objects
// alone; the ledger and the report say what went.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { makeDocumentClient } from "../../runtime/aws/clients";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { ForgetLedger } from "../../runtime/erasure/forget";
import { retentionReport, runRetention } from "../../runtime/erasure/retention";
import { createTableLike } from "../../local/stack/copies";
import { createTestLake, lakeMutex, TestLake } from "./forgetFixtures";

const root = path.resolve(__dirname, "../..");
const python = path.join(root, ".venv", "bin", "python");
const script = path.join(__dirname, "retention_text.py");

type Row = [string, string | null, string];
type Format = "jsonl.gz" | "csv";

describe("retention erasure of JSON Lines (gzip) and CSV written by Python, on the emulator", function () {
  this.timeout(120_000);
  const now = new Date("2026-12-07T12:00:00Z"); // 30 days: rows before 2026-11-07T12:00:00Z go
  const cutoff = Date.parse("2026-11-07T12:00:00Z");
  let lake: TestLake;
  let ledger: ForgetLedger;
  const written: Record<string, Buffer> = {};

  /** Python writes the object; its bytes (as stored, gzip for JSON Lines) are put at `key`. */
  async function put(key: string, format: Format, rows: Row[]): Promise<void> {
    const file = `${randomUUID()}.${format}`;
    const spec = path.join(lake.dir, `spec-${randomUUID()}.json`);
    fs.writeFileSync(spec, JSON.stringify([{ file, format, rows }]));
    execFileSync(python, [script, spec, lake.dir]);
    const body = fs.readFileSync(path.join(lake.dir, file));
    written[key] = format === "jsonl.gz" ? gunzipSync(body) : body;
    await lake.s3.send(new PutObjectCommand({ Bucket: lake.bucket, Key: key, Body: body }));
  }

  async function versionsOf(key: string): Promise<string[]> {
    const list = await lake.s3.send(new ListObjectVersionsCommand({ Bucket: lake.bucket, Prefix: key }));
    return [...(list.Versions ?? []), ...(list.DeleteMarkers ?? [])]
      .filter((v) => v.Key === key)
      .map((v) => v.VersionId!);
  }

  async function textOf(key: string, format: Format): Promise<string> {
    const o = await lake.s3.send(new GetObjectCommand({ Bucket: lake.bucket, Key: key }));
    const bytes = Buffer.from(await o.Body!.transformToByteArray());
    return (format === "jsonl.gz" ? gunzipSync(bytes) : bytes).toString("utf8");
  }

  /** Python's own lines of `key` whose row is not older (the header kept), split after each ending. */
  function keptLines(key: string, rows: Row[], header: number): string {
    const lines = written[key].toString("utf8").split(/(?<=\n)/);
    expect(lines).to.have.length(rows.length + header);
    return lines
      .filter(
        (_, i) => i < header || rows[i - header][1] === null || Date.parse(rows[i - header][1]!) >= cutoff,
      )
      .join("");
  }

  before(async () => {
    lake = await createTestLake(4);
    const table = await createTableLike("ledger", `lethe-ledger-${randomUUID().slice(0, 8)}`);
    ledger = new ForgetLedger(makeDocumentClient(), table, 30);
  });
  after(() => fs.rmSync(lake.dir, { recursive: true, force: true }));

  it("JSON Lines (gzip), unpartitioned: an all-older object goes with every version, a mixed one keeps its newer lines byte for byte", async () => {
    const mapper: DataMapper = {
      ...lake.mapper,
      name: "jevents",
      glueTable: "jevents",
      location: `s3://${lake.bucket}/jevents/`,
      format: "jsonl.gz",
      partitionColumns: [],
      retention: { days: 30, timeColumn: "event_time" },
    };
    const mixed: Row[] = [
      ["c-1", "2026-11-07T11:59:59Z", "older by a second"],
      ["c-2", "2026-11-07T12:00:00Z", "at the cutoff: stays"],
      ["c-3", null, "no time: stays"],
      ["c-4", "2026-10-01", "a date, older"],
      ["c-5", "2026-12-01T00:00:00+01:00", 'zoned, "quoted", é'],
    ];
    const allOlder: Row[] = [
      ["c-6", "2026-11-01T00:00:00Z", "old"],
      ["c-7", "2026-09-30T23:00:00Z", "older"],
    ];
    const newer: Row[] = [["c-8", "2026-12-06T00:00:00Z", "new"]];
    const keys = { mixed: "jevents/a.jsonl.gz", allOlder: "jevents/b.jsonl.gz", newer: "jevents/c.jsonl.gz" };
    await put(keys.allOlder, "jsonl.gz", [["c-6", "2026-12-01T00:00:00Z", "newer, in its history"]]);
    await put(keys.allOlder, "jsonl.gz", allOlder);
    await put(keys.mixed, "jsonl.gz", mixed);
    await put(keys.newer, "jsonl.gz", newer);
    const newerVersions = await versionsOf(keys.newer);

    const run = await runRetention(
      { s3: lake.s3, mutex: lakeMutex(lake, "retention-jsonl"), ledger },
      mapper,
      now,
    );
    expect(run.plan.objects.map((o) => [o.key, o.action, o.rows, o.rowsExpired])).to.deep.equal([
      [keys.mixed, "purge", 5, 2],
      [keys.allOlder, "drop", 2, 2],
    ]);
    expect(await versionsOf(keys.allOlder)).to.deep.equal([]);
    expect(await textOf(keys.mixed, "jsonl.gz")).to.equal(keptLines(keys.mixed, mixed, 0));
    expect(await versionsOf(keys.mixed)).to.have.length(1);
    expect(await versionsOf(keys.newer)).to.deep.equal(newerVersions);
    const report = retentionReport(run);
    expect(report.verdict).to.equal("complete");
    expect(report.totals).to.deep.include({
      objectsDropped: 1,
      objectsRewritten: 1,
      objectsKept: 1,
      rowsRemoved: 4,
      versionsDeleted: 3,
      versionsWritten: 1,
    });
  });

  it("an all-older object written to after the plan is rewritten instead of dropped: the producer's newer line stays", async () => {
    const mapper: DataMapper = {
      ...lake.mapper,
      name: "late",
      glueTable: "late",
      location: `s3://${lake.bucket}/late/`,
      format: "jsonl.gz",
      partitionColumns: [],
      retention: { days: 30, timeColumn: "event_time" },
    };
    const key = "late/a.jsonl.gz";
    await put(key, "jsonl.gz", [["c-1", "2026-11-01T00:00:00Z", "old"]]);
    const late: Row[] = [
      ["c-1", "2026-11-01T00:00:00Z", "old"],
      ["c-2", "2026-12-07T11:00:00Z", "written after the plan"],
    ];
    const mutex = lakeMutex(lake, "retention-late");
    const acquire = mutex.acquireLock.bind(mutex);
    let raced = false;
    // A producer writes between the plan's scan and the drop taking the object's lock.
    mutex.acquireLock = async (...args: Parameters<typeof acquire>) => {
      if (!raced) {
        raced = true;
        await put(key, "jsonl.gz", late);
      }
      return acquire(...args);
    };
    const run = await runRetention({ s3: lake.s3, mutex, ledger }, mapper, now);
    expect(run.plan.objects.map((o) => [o.key, o.action])).to.deep.equal([[key, "drop"]]);
    expect(raced).to.equal(true);
    expect(run.objects.map((o) => [o.action, o.outcome, o.rowsRemoved, o.verified])).to.deep.equal([
      ["purge", "erased", 1, true],
    ]);
    expect(await textOf(key, "jsonl.gz")).to.equal(keptLines(key, late, 0));
    expect(await versionsOf(key)).to.have.length(1);
  });

  it("CSV in dt= partitions: the old partition dropped unread, a straddling object keeps its header and newer rows byte for byte", async () => {
    const mapper: DataMapper = {
      ...lake.mapper,
      name: "cevents",
      glueTable: "cevents",
      location: `s3://${lake.bucket}/cevents/`,
      format: "csv",
      csv: { serde: "OpenCSVSerde", columns: ["customer_id", "event_time", "note"], skipHeaderLines: 1 },
      retention: { days: 30, timeColumn: "event_time" },
    };
    const straddling: Row[] = [
      ["c-1", "2026-11-07T13:00:00Z", "plain"],
      ["c-2", "2026-11-07T03:00:00Z", "with, a comma"],
      ["c-3", "2026-11-07T12:00:00Z", 'with "quotes"'],
      ["c-4", "2026-11-07T11:00:00Z", "old"],
      ["c-5", "2026-11-07T23:00:00Z", "line\nbreak"],
    ];
    const keys = {
      old: "cevents/dt=2026-10-01/part-0.csv",
      straddling: "cevents/dt=2026-11-07/part-0.csv",
      newer: "cevents/dt=2026-12-01/part-0.csv",
    };
    await put(keys.old, "csv", [["c-9", "2026-12-01T00:00:00Z", "late row, old partition"]]);
    await put(keys.straddling, "csv", straddling);
    await put(keys.newer, "csv", [["c-8", "2026-12-01T00:00:00Z", "new"]]);
    const newerVersions = await versionsOf(keys.newer);

    const run = await runRetention(
      { s3: lake.s3, mutex: lakeMutex(lake, "retention-csv"), ledger },
      mapper,
      now,
    );
    expect(run.plan.partitionsDropped).to.deep.equal(["2026-10-01"]);
    expect(await versionsOf(keys.old)).to.deep.equal([]);
    const expected = written[keys.straddling]
      .toString("utf8")
      .split("\r\n")
      .filter((_, i) => i !== 2 && i !== 4)
      .join("\r\n");
    expect(expected.startsWith("customer_id,event_time,note\r\nc-1,")).to.equal(true);
    expect(await textOf(keys.straddling, "csv")).to.equal(expected);
    expect(await versionsOf(keys.straddling)).to.have.length(1);
    expect(await versionsOf(keys.newer)).to.deep.equal(newerVersions);
    const report = retentionReport(run);
    expect(report.verdict).to.equal("complete");
    expect(report.totals).to.deep.include({ objectsDropped: 1, objectsRewritten: 1, rowsRemoved: 2 });
  });
});
