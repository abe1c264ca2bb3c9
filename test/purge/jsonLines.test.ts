// JSON Lines through the same interface as Parquet: matching lines dropped, all others kept verbatim.
import { expect } from "chai";
import * as zlib from "node:zlib";
import { keyMatcher } from "../../runtime/subjects/matcher";
import { purgeBytes } from "../../runtime/purge/purgeBytes";
import { FormatMismatchError } from "../../runtime/formats";
import { JsonLinesError } from "../../runtime/formats/jsonLines/jsonLines";
import { lakeFormatOf } from "../../runtime/formats";
import { bufferSource } from "../../runtime/formats/byteSource";

describe("purge: JSON Lines", () => {
  const lines = [
    `{"customer_id":"a1","tenant":7,"note":"keep  spacing"}`,
    `{"customer_id":"b2","tenant":7}`,
    `{"customer_id":"a1","tenant":8}`,
    `{"tenant":7}`,
    `{"customer_id":null,"tenant":7}`,
  ];
  const text = lines.join("\n") + "\n";

  it("drops exactly the lines whose composite key matches, keeping the others byte for byte", async () => {
    const r = await purgeBytes(
      Buffer.from(text),
      { name: "events", format: "jsonl" },
      keyMatcher(
        ["customer_id", "tenant"],
        [
          ["a1", "7"],
          ["zz", "1"],
        ],
      ),
    );
    expect(r.format).to.equal("jsonl");
    expect(Buffer.from(r.bytes).toString()).to.equal([lines[1], lines[2], lines[3], lines[4], ""].join("\n"));
    expect([r.stats.rowsBefore, r.stats.rowsAfter, r.stats.rowsRemoved]).to.deep.equal([5, 4, 1]);
  });

  it("handles gzip input and writes gzip output", async () => {
    const r = await purgeBytes(
      zlib.gzipSync(text),
      { name: "events", format: "jsonl.gz" },
      keyMatcher(["customer_id"], ["a1"]),
    );
    expect(r.format).to.equal("jsonl.gz");
    expect(zlib.gunzipSync(r.bytes).toString()).to.equal([lines[1], lines[3], lines[4], ""].join("\n"));
    expect(r.stats.rowsRemoved).to.equal(2);
  });

  it("refuses a line that is not a JSON object, naming the line", async () => {
    const bad = Buffer.from(`${lines[0]}\n{"customer_id": "a1"\n`);
    const err = await purgeBytes(
      bad,
      { name: "events", format: "jsonl" },
      keyMatcher(["customer_id"], ["a1"]),
    ).catch((e) => e);
    expect(err).to.be.instanceOf(JsonLinesError);
    expect(err.message).to.match(/: line 2: not valid JSON$/);
  });

  it("refuses bytes that are not the format the mapper declares, naming the object, the mapper and its format", async () => {
    const matcher = keyMatcher(["customer_id"], ["a1"]);
    const csv = await purgeBytes(
      Buffer.from("id,name\n1,x\n"),
      { name: "events", format: "jsonl" },
      matcher,
    ).catch((e) => e);
    expect(csv).to.be.instanceOf(FormatMismatchError);
    expect(csv.message).to.match(/is not JSON Lines \(the mapper 'events' declares jsonl\)$/);
    const plain = await purgeBytes(Buffer.from(text), { name: "orders", format: "jsonl.gz" }, matcher).catch(
      (e) => e,
    );
    expect(plain.message).to.match(
      /is not gzip-compressed JSON Lines \(the mapper 'orders' declares jsonl.gz\)$/,
    );
    const gz = await purgeBytes(zlib.gzipSync(text), { name: "orders", format: "jsonl" }, matcher).catch(
      (e) => e,
    );
    expect(gz).to.be.instanceOf(FormatMismatchError);
    const notParquet = await purgeBytes(
      Buffer.from(text),
      { name: "events", format: "parquet" },
      matcher,
    ).catch((e) => e);
    expect(notParquet.message).to.match(/is not Parquet \(the mapper 'events' declares parquet\)$/);
  });

  for (const compressed of [false, true]) {
    it(`streams a large ${compressed ? "gzip " : ""}object: read in pieces, written in pieces, lines intact`, async () => {
      // 24 MB of text (a line of ~2.4 kB, a UTF-8 character straddling piece boundaries included).
      const all = Array.from(
        { length: 10_000 },
        (_, i) => `{"customer_id":"c${i % 500}","n":${i},"note":"${"é".repeat(i % 7)}${"x".repeat(2400)}"}`,
      );
      const input = Buffer.from(all.join("\n") + "\n");
      const bytes = compressed ? zlib.gzipSync(input) : input;
      const source = bufferSource(bytes, "big.jsonl");
      let largestRead = 0;
      const counted = {
        ...source,
        read: async (offset: number, length: number) => {
          largestRead = Math.max(largestRead, length);
          return source.read(offset, length);
        },
      };
      const written: Buffer[] = [];
      const format = lakeFormatOf({ format: compressed ? "jsonl.gz" : "jsonl" });
      const stats = await format.purge(
        counted,
        { write: async (b) => void written.push(Buffer.from(b)) },
        keyMatcher(["customer_id"], [["c7"], ["c499"]]),
      );
      const out = Buffer.concat(written);
      const text = (compressed ? zlib.gunzipSync(out) : out).toString();
      const expected = all.filter((l) => !/"customer_id":"c(7|499)"/.test(l));
      expect(text).to.equal(expected.join("\n") + "\n");
      expect([stats.rowsBefore, stats.rowsRemoved, stats.bytesOut]).to.deep.equal([10_000, 40, out.length]);
      expect(largestRead).to.be.at.most(4 * 1024 * 1024);
      if (!compressed) {
        expect(bytes.length).to.be.above(20 * 1024 * 1024);
        expect(Math.max(...written.map((b) => b.length))).to.be.below(2 * 1024 * 1024);
      }
    });
  }
});
