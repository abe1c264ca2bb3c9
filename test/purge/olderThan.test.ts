// The retention predicate beside the subject matcher (runtime/subjects/olderThan.ts) through every
// format's unchanged purge: JSON Lines and CSV rows whose ISO-8601 time is before the cutoff dropped,
// every other line kept byte for byte, a null time kept, a value that is not a time refused by name;
// pyarrow-written Parquet (timestamp[us, UTC]) purged in worker threads, which rebuild the predicate.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { purgeBytes } from "../../runtime/purge/purgeBytes";
import { olderThanMatcher, timeOfText } from "../../runtime/subjects/olderThan";
import { MatchSpecError } from "../../runtime/subjects/matcher";
import { tempDir } from "./pyarrow";

const root = path.resolve(__dirname, "../..");
const cutoff = new Date("2026-11-07T12:00:00Z");

describe("purge: the retention predicate (rows older than a cutoff)", () => {
  it("reads ISO-8601 dates and times (no zone: UTC) and refuses anything else", () => {
    expect(timeOfText("2026-11-07", "t")).to.equal(Date.parse("2026-11-07T00:00:00Z"));
    expect(timeOfText("2026-11-07T12:00:00", "t")).to.equal(cutoff.getTime());
    expect(timeOfText("2026-11-07 14:00:00+02:00", "t")).to.equal(cutoff.getTime());
    expect(timeOfText("2026-11-07T12:00:00.001Z", "t")).to.equal(cutoff.getTime() + 1);
    expect(() => timeOfText("1699999999", "t")).to.throw(
      MatchSpecError,
      /time column 't' holds "1699999999"/,
    );
    expect(() => timeOfText("2026-02-30", "t")).to.throw(MatchSpecError);
  });

  it("JSON Lines: older lines go, the others stay byte for byte (a null time stays)", async () => {
    const lines = [
      `{"customer_id":"a","event_time":"2026-11-07T11:59:59Z"}`,
      `{"customer_id":"b",  "event_time":"2026-11-07T12:00:00Z"}`,
      `{"customer_id":"c","event_time":null}`,
      `{"customer_id":"d","event_time":"2026-10-01"}`,
      `{"customer_id":"e","event_time":"2026-12-01T00:00:00+01:00"}`,
    ];
    const r = await purgeBytes(
      Buffer.from(lines.join("\n") + "\n"),
      { name: "events", format: "jsonl" },
      olderThanMatcher("event_time", cutoff),
    );
    expect(Buffer.from(r.bytes).toString()).to.equal([lines[1], lines[2], lines[4]].join("\n") + "\n");
    expect(r.stats.rowsRemoved).to.equal(2);
    const bad = `{"customer_id":"f","event_time":"yesterday"}\n`;
    let err: unknown;
    await purgeBytes(
      Buffer.from(bad),
      { name: "events", format: "jsonl" },
      olderThanMatcher("event_time", cutoff),
    ).catch((e) => (err = e));
    expect(String(err)).to.match(/time column 'event_time' holds "yesterday"/);
  });

  it("CSV: older rows go, the header and the others stay byte for byte", async () => {
    const text = 'id,event_time\r\n"a",2026-11-01T00:00:00Z\r\nb,"2026-11-08"\r\nc,2026-11-07T11:00:00Z\r\n';
    const r = await purgeBytes(
      Buffer.from(text),
      {
        name: "events",
        format: "csv",
        csv: { serde: "OpenCSVSerde", columns: ["id", "event_time"], skipHeaderLines: 1 },
      },
      olderThanMatcher("event_time", cutoff),
    );
    expect(Buffer.from(r.bytes).toString()).to.equal('id,event_time\r\nb,"2026-11-08"\r\n');
  });

  it("Parquet written by pyarrow, purged in a worker thread: the newer rows stay", async () => {
    const dir = tempDir();
    try {
      const rows = Array.from({ length: 40 }, (_, i) => [
        `c-${i}`,
        new Date(cutoff.getTime() + (i - 20) * 3_600_000).toISOString(),
        i,
      ]);
      const spec = path.join(dir, "spec.json");
      fs.writeFileSync(spec, JSON.stringify([{ file: "in.parquet", rows, rowGroupRows: 10 }]));
      const script = path.join(root, "test", "erasure", "retention_lake.py");
      const python = path.join(root, ".venv", "bin", "python");
      execFileSync(python, [script, "make", dir, spec]);
      const r = await purgeBytes(
        fs.readFileSync(path.join(dir, "in.parquet")),
        { name: "events", format: "parquet" },
        olderThanMatcher("event_time", cutoff),
        { workers: 1 },
      );
      expect(r.stats.rowsRemoved).to.equal(20);
      expect(r.stats.rowGroups.map((g) => g.rewritten)).to.deep.equal([true, true, false, false]);
      fs.writeFileSync(path.join(dir, "out.parquet"), r.bytes);
      fs.writeFileSync(path.join(dir, "files.json"), JSON.stringify([path.join(dir, "out.parquet")]));
      const back = JSON.parse(
        execFileSync(python, [script, "read", path.join(dir, "files.json")]).toString(),
      );
      expect(back[path.join(dir, "out.parquet")].map((x: unknown[]) => x[0])).to.deep.equal(
        rows.slice(20).map((x) => x[0]),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
