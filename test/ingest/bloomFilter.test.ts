// The bloom filter: no false negatives, the false-positive rate it was sized for, its size, and a
// file format that refuses anything corrupt or foreign with a message saying so.
import { expect } from "chai";
import {
  BloomFilter,
  BloomFormatError,
  bloomParameters,
  HEADER_BYTES,
} from "../../runtime/ingest/bloomFilter";
import { murmur3x2, murmur3x2Bytes } from "../../runtime/ingest/murmur3";

const ids = (n: number, prefix = "cust") =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i}-${(i * 2654435761) >>> 0}`);

describe("ingest: bloom filter", () => {
  it("computes MurmurHash3 x86-32 reference values, the same for a string and its UTF-8 bytes", () => {
    const out = { h1: 0, h2: 0 };
    murmur3x2("hello", 0, 1, out);
    expect(out.h1).to.equal(0x248bfa47);
    murmur3x2("The quick brown fox jumps over the lazy dog", 0x9747b28c, 0, out);
    expect(out.h1).to.equal(0x2fa826cd);
    for (const s of ["", "a", "ab", "abc", "abcd", "abcde", "kundé-ß-42", "用户-7"]) {
      const a = { h1: 0, h2: 0 };
      const b = { h1: 0, h2: 0 };
      murmur3x2(s, 7, 11, a);
      murmur3x2Bytes(Buffer.from(s, "utf8"), 7, 11, b);
      expect(a, s).to.deep.equal(b);
      expect(a.h1, "the two seeds give independent hashes").to.not.equal(a.h2);
    }
  });

  it("never reports an added ID absent, and stays near the target rate for non-members", () => {
    const members = ids(100_000);
    const filter = BloomFilter.from(members, 1e-4);
    expect(members.filter((id) => !filter.has(id))).to.deep.equal([]);
    let falsePositives = 0;
    const trials = 500_000;
    for (let i = 0; i < trials; i++) if (filter.has(`other-${i}`)) falsePositives++;
    // Expected ~50; 3x headroom keeps the test stable while catching a broken hash (thousands).
    expect(falsePositives / trials).to.be.below(3e-4);
  });

  it("sizes a million IDs at 1e-4 within 2.5 MB, with 13 hashes", () => {
    const p = bloomParameters(1_000_000, 1e-4);
    expect(p.hashCount).to.equal(13);
    expect(p.bitCount / 8).to.be.below(2.5e6);
    expect(p.bitCount / 8).to.be.above(2.3e6);
    expect(() => bloomParameters(10, 1)).to.throw(RangeError, /between 0 and 1/);
    expect(() => bloomParameters(10, 0)).to.throw(RangeError, /between 0 and 1/);
  });

  it("round-trips through its binary format with every header field", () => {
    const members = [...ids(5000), "kundé-ß-42", "用户-7"];
    const filter = BloomFilter.from(members, 1e-3);
    const bytes = filter.serialize();
    expect(bytes.length).to.equal(HEADER_BYTES + filter.bitCount / 8);
    expect(bytes.subarray(0, 8).toString("latin1")).to.equal("LETHEBLM");
    const back = BloomFilter.deserialize(bytes);
    expect([back.bitCount, back.hashCount, back.itemCount]).to.deep.equal([
      filter.bitCount,
      filter.hashCount,
      members.length,
    ]);
    expect(back.seeds).to.deep.equal(filter.seeds);
    expect(members.every((id) => back.has(id))).to.equal(true);
    // An unaligned copy (as a slice of a larger download) loads too.
    const padded = Buffer.concat([Buffer.from([1]), bytes]).subarray(1);
    expect(BloomFilter.deserialize(padded).has(members[0])).to.equal(true);
  });

  it("refuses a flipped bit, a truncated file, a foreign file, a newer version and an unknown scheme", () => {
    const good = BloomFilter.from(ids(1000), 1e-3).serialize();
    const flipped = Buffer.from(good);
    flipped[HEADER_BYTES + 17] ^= 0x04;
    expect(() => BloomFilter.deserialize(flipped, "f.bloom")).to.throw(
      BloomFormatError,
      /f\.bloom: checksum mismatch/,
    );
    expect(() => BloomFilter.deserialize(good.subarray(0, good.length - 4))).to.throw(
      BloomFormatError,
      /truncated/,
    );
    expect(() => BloomFilter.deserialize(Buffer.from("customer_id\nabc\n"))).to.throw(
      BloomFormatError,
      /not a Lethe bloom filter/,
    );
    const newer = Buffer.from(good);
    newer.writeUInt16LE(2, 8);
    expect(() => BloomFilter.deserialize(newer)).to.throw(
      BloomFormatError,
      /format version 2 is not supported/,
    );
    const scheme = Buffer.from(good);
    scheme.writeUInt8(9, 10);
    expect(() => BloomFilter.deserialize(scheme)).to.throw(BloomFormatError, /unknown hash scheme 9/);
    const header = Buffer.from(good);
    header.writeUInt32LE(header.readUInt32LE(16) + 1, 16); // item count: covered by the checksum
    expect(() => BloomFilter.deserialize(header)).to.throw(BloomFormatError, /checksum mismatch/);
  });
});
