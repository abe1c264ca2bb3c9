// `lethe lake load` against the local stack: a pyarrow-written Parquet file through the packaged
// ingest guard, JSON Lines (gzipped) straight in, a sample lake from the command line, each landing
// under the mapper's location in its `dt=` partitions and read back; CSV and TSV mappers' objects read
// back by Python's csv module and by the purge's reader; bad input refused by name.
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import type { DataMapper } from "../../runtime/contracts/mappers";
import type { LocalStack } from "../../runtime/contracts/stack";
import { readCsv } from "../../runtime/formats/csv/csvRows";
import { csvDialect } from "../../runtime/formats/csv/dialect";
import { loadLake, readRecords } from "../../cli/work/lakeLoad";
import { makePyarrowLake } from "../../local/fixtures/pyarrowLake";
import { sharedLocalStack } from "../support/localStack";

const bin = path.resolve(__dirname, "../../bin/lethe");
const python = path.resolve(__dirname, "../../.venv/bin/python");

/** The rows Python's csv module (the reference reader) reads from `text` in the given dialect. */
function pythonRows(text: string, dialect: Record<string, unknown>): string[][] {
  const script =
    "import csv, io, json, sys\n" +
    "d = json.loads(sys.argv[1])\n" +
    "print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline=''), **d))))";
  return JSON.parse(
    execFileSync(python, ["-c", script, JSON.stringify(dialect)], { input: text }).toString(),
  );
}

describe("cli: lethe lake load", function () {
  this.timeout(300_000);
  let stack: LocalStack;
  let dir: string;
  const s3 = makeS3Client();

  before(async () => {
    stack = await sharedLocalStack();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-lake-load-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The records of a lake object, read back as a file of its name. */
  async function readBack(key: string): Promise<Record<string, unknown>[]> {
    const o = await s3.send(new GetObjectCommand({ Bucket: stack.lakeBucket, Key: key }));
    const file = path.join(dir, `back-${randomUUID().slice(0, 6)}-${path.basename(key)}`);
    fs.writeFileSync(file, await o.Body!.transformToByteArray());
    return readRecords(file);
  }

  it("a Parquet file written by pyarrow, through the ingest guard, lands in the events table's dt= partition", async () => {
    const [file] = makePyarrowLake(dir, 1, 300, 20, 7);
    const ids = new Set(readRecords(file).map((r) => r.customer_id));
    const run = `load-${randomUUID().slice(0, 8)}`;
    const r = await loadLake(stack, { files: [file], name: run });
    expect(r).to.include({ mapper: "events", path: "ingest", recordsIn: 300, failed: 0 });
    expect(r.objects).to.have.length(1);
    const [o] = r.objects;
    // pyarrow's event times all fall on 2025-11-30.
    expect(o.key).to.equal(`events/dt=2025-11-30/${run}.parquet`);
    expect(o.rows + r.dropped).to.equal(300);
    const back = await readBack(o.key);
    expect(back).to.have.length(o.rows);
    for (const rec of back) expect(ids.has(rec.customer_id)).to.equal(true);
  });

  it("JSON Lines, gzipped, --direct: one object per day under the mapper's location, in its format", async () => {
    const file = path.join(dir, "events.jsonl.gz");
    const records = [
      { customer_id: "c-1", event_time: "2026-11-01T10:00:00Z", event_type: "login", payload: "{}" },
      { customer_id: "c-2", event_time: "2026-11-01T11:00:00Z", event_type: "login", payload: "{}" },
      { customer_id: "c-1", event_time: "2026-11-02T09:00:00Z", event_type: "purchase", payload: "{}" },
    ];
    fs.writeFileSync(file, gzipSync(records.map((x) => JSON.stringify(x)).join("\n") + "\n"));
    const run = `direct-${randomUUID().slice(0, 8)}`;
    const r = await loadLake(stack, { files: [file], direct: true, name: run });
    expect(r.path).to.equal("direct");
    expect(r.objects.map((o) => [o.key, o.rows])).to.deep.equal([
      [`events/dt=2026-11-01/${run}.parquet`, 2],
      [`events/dt=2026-11-02/${run}.parquet`, 1],
    ]);
    const day1 = await readBack(r.objects[0].key);
    expect(day1.map((x) => x.customer_id)).to.deep.equal(["c-1", "c-2"]);
    expect(day1[0].event_time).to.equal(Date.parse("2026-11-01T10:00:00Z"));
  });

  it("the command line: --sample --direct writes the sample lake and says what it wrote", () => {
    const outputs = path.join(dir, "local.json");
    fs.writeFileSync(outputs, JSON.stringify(stack));
    const args = [
      "lake",
      "load",
      "--sample",
      "--customers",
      "5",
      "--days",
      "2",
      "--direct",
      "--stack-outputs",
      outputs,
    ];
    const json = spawnSync(process.execPath, [bin, ...args, "--json"], { encoding: "utf8" });
    expect(json.status, json.stderr).to.equal(0);
    const result = JSON.parse(json.stdout);
    expect(result).to.include({ mapper: "events", path: "direct", recordsIn: 200 });
    expect(result.objects).to.have.length(2);
    for (const o of result.objects) {
      expect(o.key).to.match(/^events\/dt=\d{4}-\d{2}-\d{2}\/lethe-load-.*\.parquet$/);
      expect(o.rows).to.equal(100);
    }
    const text = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout).to.match(
      /^lethe lake load: 200 record\(s\) into mapper events \(s3:\/\/.*\) directly$/m,
    );
    expect(text.stdout).to.match(/^wrote 2 object\(s\), 200 row\(s\)$/m);
  });

  it("CSV and TSV mappers, --direct: one object per day in the mapper's dialect, as Python and the purge read it", async () => {
    const run = `csv-${randomUUID().slice(0, 8)}`;
    const mapper = (name: string, format: "csv" | "csv.gz", csv: DataMapper["csv"]): DataMapper => ({
      name,
      glueDatabase: "crm",
      glueTable: name,
      location: `s3://${stack.lakeBucket}/${run}/${name}/`,
      idColumns: ["customer_id"],
      format,
      partitionColumns: ["dt"],
      csv,
    });
    const leads = mapper("leads", "csv.gz", {
      serde: "OpenCSVSerde",
      columns: ["customer_id", "name", "note"],
      skipHeaderLines: 1,
    });
    const visits = mapper("visits", "csv", {
      serde: "LazySimpleSerDe",
      columns: ["page", "customer_id"],
      separator: "\t",
      escape: "\\",
    });
    const withCsv: LocalStack = { ...stack, dataMappers: [...(stack.dataMappers ?? []), leads, visits] };
    const file = path.join(dir, `${run}.jsonl`);
    const write = (records: object[]) =>
      fs.writeFileSync(file, records.map((x) => JSON.stringify(x)).join("\n") + "\n");
    const objectText = async (key: string, gzip: boolean) => {
      const o = await s3.send(new GetObjectCommand({ Bucket: stack.lakeBucket, Key: key }));
      const bytes = Buffer.from(await o.Body!.transformToByteArray());
      return (gzip ? gunzipSync(bytes) : bytes).toString("utf8");
    };

    write([
      { customer_id: "c-1", name: 'Ann, "the" first \\ back', note: "two\nlines", dt: "2026-11-01" },
      { customer_id: "c-2", name: null, dt: "2026-11-01" },
      { customer_id: 42, name: "x", note: "y", dt: "2026-11-02" },
    ]);
    const r = await loadLake(withCsv, { mapper: "leads", files: [file], direct: true, name: run });
    expect(r.objects.map((o) => [o.key, o.rows])).to.deep.equal([
      [`${run}/leads/dt=2026-11-01/${run}.csv.gz`, 2],
      [`${run}/leads/dt=2026-11-02/${run}.csv.gz`, 1],
    ]);
    const day1 = await objectText(r.objects[0].key, true);
    const expected = [
      ["c-1", 'Ann, "the" first \\ back', "two\nlines"],
      ["c-2", "", ""],
    ];
    // OpenCSVSerde's defaults: quote '"', escape '\\'.
    const openCsv = { delimiter: ",", quotechar: '"', escapechar: "\\", doublequote: false };
    expect(pythonRows(day1, openCsv)).to.deep.equal([["customer_id", "name", "note"], ...expected]);
    const purgeRead = readCsv(Buffer.from(day1), csvDialect(leads.csv!));
    expect(purgeRead.rows.map((row) => row.fields)).to.deep.equal(expected);
    expect(pythonRows(await objectText(r.objects[1].key, true), openCsv)).to.deep.equal([
      ["customer_id", "name", "note"],
      ["42", "x", "y"],
    ]);

    write([
      { page: "/a\tb", customer_id: "c-1", dt: "2026-11-01" },
      { page: "C:\\x", customer_id: null, dt: "2026-11-01" },
    ]);
    const tsv = await loadLake(withCsv, { mapper: "visits", files: [file], direct: true, name: run });
    expect(tsv.objects.map((o) => [o.key, o.rows])).to.deep.equal([
      [`${run}/visits/dt=2026-11-01/${run}.csv`, 2],
    ]);
    const text = await objectText(tsv.objects[0].key, false);
    expect(text).to.equal("/a\\\tb\tc-1\nC:\\\\x\t\\N\n");
    expect(pythonRows(text, { delimiter: "\t", quoting: 3, escapechar: "\\" })).to.deep.equal([
      ["/a\tb", "c-1"],
      ["C:\\x", "N"], // Python's reader has no NULL: `\\N` is an escaped N to it.
    ]);
    const tsvRead = readCsv(Buffer.from(text), csvDialect(visits.csv!));
    expect(tsvRead.rows.map((row) => row.fields)).to.deep.equal([
      ["/a\tb", "c-1"],
      ["C:\\x", null],
    ]);

    // Nothing is dropped: a field that is no column, a value the dialect cannot hold, are refused.
    for (const [mapperName, record, message] of [
      [
        "leads",
        { customer_id: "c-3", email: "x", dt: "2026-11-01" },
        /record 1 has field\(s\) email that are not columns of mapper leads/,
      ],
      ["visits", { page: "a\nb", customer_id: "c-3", dt: "2026-11-01" }, /record 1: page holds a line break/],
    ] as const) {
      write([record]);
      const e = await loadLake(withCsv, {
        mapper: mapperName,
        files: [file],
        direct: true,
        name: `${run}-bad`,
      }).catch((err: Error) => err);
      expect(e).to.be.instanceOf(UsageError);
      expect((e as Error).message).to.match(message);
    }
  });

  it("refuses an unknown mapper, a file of another kind and a record without its partition, writing nothing", async () => {
    const refusal = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return err as Error;
      }
      throw new Error("expected a refusal");
    };
    const csv = path.join(dir, "x.csv");
    fs.writeFileSync(csv, "a,b\n");
    const undated = path.join(dir, "undated.jsonl");
    fs.writeFileSync(undated, '{"customer_id": "c-9"}\n');
    for (const [p, message] of [
      [
        loadLake(stack, { mapper: "clicks", sample: { customers: 1, days: 1 } }),
        /no data mapper 'clicks' in the stack \(it has events\)/,
      ],
      [loadLake(stack, { files: [csv], direct: true }), /give Parquet \(\.parquet\) or JSON Lines/],
      [
        loadLake(stack, { files: [undated], direct: true }),
        /undated\.jsonl record 1 has no value for the partition column dt/,
      ],
      [loadLake(stack, {}), /give files to load, or --sample/],
    ] as const) {
      const e = await refusal(p);
      expect(e).to.be.instanceOf(UsageError);
      expect(e.message).to.match(message);
    }
  });
});
