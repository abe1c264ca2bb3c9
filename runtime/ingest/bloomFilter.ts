// The opt-out bloom filter: a bitset probed k times per key by double hashing (Kirsch-Mitzenmacher)
// over two independent MurmurHash3 values, and its versioned binary form. `bloom-filters` was measured
// far too slow for the ingest path (docs/bloom.md), hence this small, fast implementation.
import { crc32 } from "node:zlib";
import { endianness } from "node:os";
import { HashPair, murmur3x2 } from "./murmur3";

/** The first eight bytes of every serialized filter (ASCII). */
export const BLOOM_MAGIC = "LETHEBLM";
export const BLOOM_FORMAT_VERSION = 1;
/** Hash scheme 1: MurmurHash3 x86-32 of the UTF-8 key with two seeds, probe i = (h1 + i*h2) mod m. */
export const HASH_SCHEME_MURMUR3_DOUBLE = 1;
export const HEADER_BYTES = 32;
const DEFAULT_SEEDS = [0x9747b28c, 0x5bd1e995] as const;
/** Bit counts are stored in 32 bits; a filter this large holds ~200 M IDs at FPR 1e-4. */
export const MAX_BITS = 0xffffffe0;

/** A file that is not a usable Lethe bloom filter: the message says why. */
export class BloomFormatError extends Error {
  constructor(message: string) {
    super(message);
    // Set explicitly: in a serialized Lambda closure classes become functions and super() does not.
    this.message = message;
    this.name = "BloomFormatError";
  }
}

export interface BloomParameters {
  bitCount: number;
  hashCount: number;
}

/** Optimal bits and hash count for `expectedItems` keys at `falsePositiveRate` (0 < rate < 1). */
export function bloomParameters(expectedItems: number, falsePositiveRate: number): BloomParameters {
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw new RangeError(`false-positive rate must be between 0 and 1 (exclusive), got ${falsePositiveRate}`);
  }
  if (!Number.isInteger(expectedItems) || expectedItems < 0) {
    throw new RangeError(`expected item count must be a whole number >= 0, got ${expectedItems}`);
  }
  const n = Math.max(1, expectedItems);
  const bits = Math.ceil((-n * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2));
  // Whole 32-bit words: the spare bits at the end only lower the false-positive rate.
  const bitCount = Math.max(64, Math.ceil(bits / 32) * 32);
  if (bitCount > MAX_BITS) {
    throw new RangeError(
      `${expectedItems} items at rate ${falsePositiveRate} need more than ${MAX_BITS} bits`,
    );
  }
  // k = log2(1/rate): optimal for the exact bit count; rounding bits up only adds headroom.
  const hashCount = Math.min(64, Math.max(1, Math.round(-Math.log2(falsePositiveRate))));
  return { bitCount, hashCount };
}

export class BloomFilter {
  readonly words: Uint32Array;
  private count: number;
  /** Scratch for the two hashes; assigned in the constructor, not as a field initializer, because
   * Pulumi's closure serializer (magic Lambdas) drops field initializers. */
  private readonly hashes: HashPair;

  constructor(
    readonly bitCount: number,
    readonly hashCount: number,
    readonly seeds: readonly [number, number] = DEFAULT_SEEDS,
    words?: Uint32Array,
    itemCount = 0,
  ) {
    if (!Number.isInteger(bitCount) || bitCount < 32 || bitCount % 32 !== 0 || bitCount > MAX_BITS) {
      throw new RangeError(`bit count must be a positive multiple of 32 up to ${MAX_BITS}, got ${bitCount}`);
    }
    if (!Number.isInteger(hashCount) || hashCount < 1 || hashCount > 64) {
      throw new RangeError(`hash count must be 1 to 64, got ${hashCount}`);
    }
    this.words = words ?? new Uint32Array(bitCount / 32);
    this.count = itemCount;
    this.hashes = { h1: 0, h2: 0 };
  }

  /** An empty filter sized for `expectedItems` keys at `falsePositiveRate`. */
  static create(expectedItems: number, falsePositiveRate: number): BloomFilter {
    const { bitCount, hashCount } = bloomParameters(expectedItems, falsePositiveRate);
    return new BloomFilter(bitCount, hashCount);
  }

  /** A filter holding every key of `keys`. */
  static from(keys: readonly string[], falsePositiveRate: number): BloomFilter {
    const filter = BloomFilter.create(keys.length, falsePositiveRate);
    for (const k of keys) filter.add(k);
    return filter;
  }

  /** Keys added (duplicates count each time). */
  get itemCount(): number {
    return this.count;
  }

  add(key: string): void {
    const h = this.hashes;
    murmur3x2(key, this.seeds[0], this.seeds[1], h);
    const m = this.bitCount;
    const words = this.words;
    let bit = h.h1 % m;
    const step = h.h2 % m || 1;
    for (let i = 0; i < this.hashCount; i++) {
      words[bit >>> 5] |= 1 << (bit & 31);
      bit += step;
      if (bit >= m) bit -= m;
    }
    this.count++;
  }

  /** False: certainly never added. True: added, or a false positive. */
  has(key: string): boolean {
    const h = this.hashes;
    murmur3x2(key, this.seeds[0], this.seeds[1], h);
    const m = this.bitCount;
    const words = this.words;
    let bit = h.h1 % m;
    const step = h.h2 % m || 1;
    for (let i = 0; i < this.hashCount; i++) {
      if ((words[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
      bit += step;
      if (bit >= m) bit -= m;
    }
    return true;
  }

  /** The false-positive rate expected at the current fill. */
  expectedFalsePositiveRate(): number {
    return Math.pow(1 - Math.exp((-this.hashCount * this.count) / this.bitCount), this.hashCount);
  }

  /** Header (magic, version, scheme, hash count, bits, items, seeds, CRC-32) then the bits, little-endian. */
  serialize(): Buffer {
    assertLittleEndian();
    const out = Buffer.alloc(HEADER_BYTES + this.words.byteLength);
    out.write(BLOOM_MAGIC, 0, "latin1");
    out.writeUInt16LE(BLOOM_FORMAT_VERSION, 8);
    out.writeUInt8(HASH_SCHEME_MURMUR3_DOUBLE, 10);
    out.writeUInt8(this.hashCount, 11);
    out.writeUInt32LE(this.bitCount, 12);
    out.writeUInt32LE(Math.min(this.count, 0xffffffff), 16);
    out.writeUInt32LE(this.seeds[0] >>> 0, 20);
    out.writeUInt32LE(this.seeds[1] >>> 0, 24);
    Buffer.from(this.words.buffer, this.words.byteOffset, this.words.byteLength).copy(out, HEADER_BYTES);
    out.writeUInt32LE(checksum(out), 28);
    return out;
  }

  /** Reads a serialized filter, refusing anything that is not an intact filter this code understands. */
  static deserialize(data: Uint8Array, source = "bloom filter"): BloomFilter {
    assertLittleEndian();
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (buf.length < HEADER_BYTES || buf.toString("latin1", 0, 8) !== BLOOM_MAGIC) {
      throw new BloomFormatError(`${source}: not a Lethe bloom filter (missing the LETHEBLM header)`);
    }
    const version = buf.readUInt16LE(8);
    if (version !== BLOOM_FORMAT_VERSION) {
      throw new BloomFormatError(
        `${source}: format version ${version} is not supported (this build reads version ${BLOOM_FORMAT_VERSION})`,
      );
    }
    const scheme = buf.readUInt8(10);
    if (scheme !== HASH_SCHEME_MURMUR3_DOUBLE) {
      throw new BloomFormatError(`${source}: unknown hash scheme ${scheme}`);
    }
    const hashCount = buf.readUInt8(11);
    const bitCount = buf.readUInt32LE(12);
    const itemCount = buf.readUInt32LE(16);
    const seeds: [number, number] = [buf.readUInt32LE(20), buf.readUInt32LE(24)];
    if (bitCount < 32 || bitCount % 32 !== 0 || hashCount < 1 || hashCount > 64) {
      throw new BloomFormatError(`${source}: corrupt header (bits ${bitCount}, hashes ${hashCount})`);
    }
    const expectedLength = HEADER_BYTES + bitCount / 8;
    if (buf.length !== expectedLength) {
      throw new BloomFormatError(
        `${source}: corrupt or truncated: ${buf.length} bytes, header announces ${expectedLength}`,
      );
    }
    const stored = buf.readUInt32LE(28);
    const actual = checksum(buf);
    if (stored !== actual) {
      throw new BloomFormatError(
        `${source}: checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupt`,
      );
    }
    // Copy: the source buffer need not be 4-byte aligned, and we must not alias a caller's memory.
    const words = new Uint32Array(bitCount / 32);
    Buffer.from(words.buffer).set(buf.subarray(HEADER_BYTES));
    return new BloomFilter(bitCount, hashCount, seeds, words, itemCount);
  }
}

/** CRC-32 of the whole file with the checksum field (bytes 28-31) read as zero. */
function checksum(buf: Buffer): number {
  if (typeof crc32 !== "function")
    throw new Error("bloom filter checksums need Node.js 20.15 or later (zlib.crc32)");
  let c = crc32(buf.subarray(0, 28));
  c = crc32(Buffer.alloc(4), c);
  return crc32(buf.subarray(HEADER_BYTES), c) >>> 0;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function assertLittleEndian(): void {
  // The bits are stored as little-endian words; every Lambda architecture (x86_64, arm64) is LE.
  if (endianness() !== "LE") throw new Error("bloom filter serialization needs a little-endian CPU");
}
