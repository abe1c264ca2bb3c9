// JSON Lines through the same interface as Parquet: matching lines dropped, all others kept verbatim.
import { expect } from "chai";
import * as zlib from "node:zlib";
import { keyMatcher } from "../../runtime/purge/matcher";
import { purgeBytes, UnsupportedFormatError } from "../../runtime/purge/purgeBytes";
import { JsonLinesError } from "../../runtime/purge/jsonLines";

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
    const r = await purgeBytes(zlib.gzipSync(text), keyMatcher(["customer_id"], ["a1"]));
    expect(r.format).to.equal("jsonl.gz");
    expect(zlib.gunzipSync(r.bytes).toString()).to.equal([lines[1], lines[3], lines[4], ""].join("\n"));
    expect(r.stats.rowsRemoved).to.equal(2);
  });

  it("refuses a line that is not a JSON object, naming the line", async () => {
    const bad = Buffer.from(`${lines[0]}\n{"customer_id": "a1"\n`);
    const err = await purgeBytes(bad, keyMatcher(["customer_id"], ["a1"])).catch((e) => e);
    expect(err).to.be.instanceOf(JsonLinesError);
    expect(err.message).to.match(/: line 2: not valid JSON$/);
  });

  it("refuses a format it does not know", async () => {
    const err = await purgeBytes(Buffer.from("id,name\n1,x\n"), keyMatcher(["id"], ["1"])).catch((e) => e);
    expect(err).to.be.instanceOf(UnsupportedFormatError);
  });
});
