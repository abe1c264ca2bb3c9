// A key is matched as the parts given, never split: a tab inside a one-column ID is part of the ID, and
// composite keys whose parts hold tabs stay distinct. Checked on JSON Lines and on Parquet (both the
// one-string-column fast path and the composite path).
import { expect } from "chai";
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import * as wasm from "parquet-wasm";
import { keyMatcher, MatchSpecError } from "../../runtime/subjects/matcher";
import { purgeBytes } from "../../runtime/purge/purgeBytes";
import { bufferSource } from "../../runtime/formats/parquet/parquetFormat";
import { scanParquet } from "../../runtime/formats/parquet/parquetPurge";

function parquetOf(columns: Record<string, string[]>): Uint8Array {
  const table = tableFromArrays(columns);
  return wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(table, "stream")));
}

function keptColumn(bytes: Uint8Array, name: string): string[] {
  return [...tableFromIPC(wasm.readParquet(bytes).intoIPCStream()).getChild(name)!].map(String);
}

describe("purge: key matcher", () => {
  it("a one-column ID with a tab matches that value exactly, not its pieces", async () => {
    const matcher = keyMatcher(["customer_id"], ["a\tb"]);
    const lines = [`{"customer_id":"a\\tb"}`, `{"customer_id":"a"}`, `{"customer_id":"b"}`];
    const jsonl = await purgeBytes(
      Buffer.from(lines.join("\n") + "\n"),
      { name: "events", format: "jsonl" },
      matcher,
    );
    expect(Buffer.from(jsonl.bytes).toString()).to.equal(`${lines[1]}\n${lines[2]}\n`);

    const parquet = await purgeBytes(
      parquetOf({ customer_id: ["a\tb", "a", "b", "a\tb"] }),
      { name: "events", format: "parquet" },
      matcher,
    );
    expect(parquet.stats.rowsRemoved).to.equal(2);
    expect(keptColumn(parquet.bytes, "customer_id")).to.deep.equal(["a", "b"]);
  });

  it("composite keys whose parts hold tabs stay distinct", async () => {
    const matcher = keyMatcher(["t", "u"], [["x\ty", "z"]]);
    const lines = [`{"t":"x\\ty","u":"z"}`, `{"t":"x","u":"y\\tz"}`];
    const jsonl = await purgeBytes(
      Buffer.from(lines.join("\n") + "\n"),
      { name: "events", format: "jsonl" },
      matcher,
    );
    expect(Buffer.from(jsonl.bytes).toString()).to.equal(`${lines[1]}\n`);

    const file = parquetOf({ t: ["x\ty", "x", "x\ty"], u: ["z", "y\tz", "y"] });
    const parquet = await purgeBytes(file, { name: "events", format: "parquet" }, matcher);
    expect(parquet.stats.rowsRemoved).to.equal(1);
    expect(keptColumn(parquet.bytes, "u")).to.deep.equal(["y\tz", "y"]);
    const found = await scanParquet(bufferSource(file), matcher);
    expect([...found.matches.values()]).to.deep.equal([1]);
  });

  it("a string stands for one part: a composite key must be given as its parts", () => {
    expect(() => keyMatcher(["t", "u"], ["x\tz"])).to.throw(MatchSpecError, /ID 1: a composite key/);
    expect(() => keyMatcher(["t"], [" "])).to.throw(MatchSpecError, /ID 1: the ID is blank/);
  });
});
