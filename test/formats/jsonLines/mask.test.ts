// The mask strategy for JSON Lines (issue 22, item 4): lines written by Python's json in several styles,
// masked through the registry's format, and checked by Python (test/formats/jsonLines/mask_lines.py):
// a subject's row is the original with exactly the declared columns set (null, or the subject's keyed
// hash) and the subjects' elements removed from an array of IDs; every other line byte-identical.
// Exact bytes of a masked line: only the masked values change.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { lakeFormatOf } from "../../../runtime/formats";
import type { ByteSink, ByteSource, RowMasking } from "../../../runtime/formats/lakeFormat";
import { keyMatcher } from "../../../runtime/subjects/matcher";
import { subjectHasherFromKey } from "../../../runtime/subjects/subjectHash";
import { checkMaskedLines, writeMaskLines } from "./maskLines";

const hasher = subjectHasherFromKey(Buffer.alloc(32, 7));

function source(bytes: Uint8Array): ByteSource {
  return {
    name: "test.jsonl",
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  } as ByteSource;
}

async function mask(
  bytes: Uint8Array,
  format: "jsonl" | "jsonl.gz",
  idColumns: string[],
  ids: string[],
  columns: RowMasking["columns"],
) {
  const chunks: Uint8Array[] = [];
  const sink: ByteSink = { write: (b) => Promise.resolve(void chunks.push(b)) };
  const stats = await lakeFormatOf({ format }).mask!(source(bytes), sink, keyMatcher(idColumns, ids), {
    columns,
    hashOf: (parts) => hasher.hash(parts),
  });
  return { bytes: Buffer.concat(chunks), stats };
}

describe("formats/jsonLines: the mask strategy", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-mask-"));
  const file = path.join(dir, "rows.jsonl");
  writeMaskLines(file, 5);
  const original = fs.readFileSync(file);
  const ids = ["3", "17", "28"];
  const hashes = Object.fromEntries(
    [...ids, ...Array.from({ length: 40 }, (_, i) => String(i))].map((i) => [i, hasher.hash(i)]),
  );
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function check(masked: Buffer, columns: RowMasking["columns"], array: string | null) {
    return checkMaskedLines({
      original: original.toString("utf8"),
      masked: masked.toString("utf8"),
      ids,
      hashes,
      columns,
      array,
    });
  }

  it("masks exactly the declared columns of a subject's rows (gzip too), every other line byte-identical", async () => {
    const columns = { customer_id: "hash", "user.email": "null", "user.name": "hash" } as const;
    const plain = await mask(original, "jsonl", ["customer_id"], ids, columns);
    const result = check(plain.bytes, columns, null);
    expect(result.problems).to.deep.equal([]);
    expect(result.masked).to.be.greaterThan(5);
    expect(plain.stats).to.include({
      rowsRemoved: 0,
      rowsMasked: result.masked,
      rowsBefore: 200,
      rowsAfter: 200,
    });
    // Masked again: the hashed ID is no subject's, nothing changes.
    expect((await mask(plain.bytes, "jsonl", ["customer_id"], ids, columns)).stats.rowsMasked).to.equal(0);

    const gz = await mask(gzipSync(original), "jsonl.gz", ["customer_id"], ids, columns);
    expect(gunzipSync(gz.bytes).equals(plain.bytes)).to.equal(true);
  });

  it("removes the subjects' elements from an array of IDs and masks the declared columns", async () => {
    const columns = { "user.email": "null" } as const;
    const out = await mask(original, "jsonl", ["friends[]"], ids, columns);
    const result = check(out.bytes, columns, "friends");
    expect(result.problems).to.deep.equal([]);
    expect(result.masked).to.be.greaterThan(5);
  });

  it("changes only the masked values' bytes: spacing, order, escapes and number spelling kept", async () => {
    const line =
      '{ "b":1.50e2 ,"customer_id" : 12, "user":{"email" :"a\\u00e9@x",  "id":7},"ids":[ "3", 4 ,"3","5" ] }';
    const other = '{"customer_id":"13","user":{"email":"b@x"}}';
    const text = Buffer.from(`${line}\n${other}\n\n`);
    const hashed = (
      await mask(text, "jsonl", ["customer_id"], ["12"], { customer_id: "hash", "user.email": "null" })
    ).bytes;
    expect(hashed.toString("utf8")).to.equal(
      `{ "b":1.50e2 ,"customer_id" : ${JSON.stringify(hasher.hash("12"))}, "user":{"email" :null,  "id":7},"ids":[ "3", 4 ,"3","5" ] }\n${other}\n\n`,
    );
    const removed = (await mask(text, "jsonl", ["ids[]"], ["3", "5"], {})).bytes.toString("utf8");
    expect(removed.split("\n")[0]).to.equal(
      '{ "b":1.50e2 ,"customer_id" : 12, "user":{"email" :"a\\u00e9@x",  "id":7},"ids":[ 4 ] }',
    );
    const all = (await mask(text, "jsonl", ["ids[]"], ["3", "4", "5"], {})).bytes.toString("utf8");
    expect(all.split("\n")[0]).to.match(/"ids":\[ {2}\] }$/);
  });
});
