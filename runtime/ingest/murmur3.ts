// MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes, computed for two seeds in one pass. The
// filter needs two independent 32-bit hashes (a single one cannot reach FPR 1e-4 at a million keys);
// reading the string once for both halves the work on the hot path.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Two 32-bit hashes, written by `murmur3x2` to avoid allocating per call. */
export interface HashPair {
  h1: number;
  h2: number;
}

function mixKey(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixState(h: number, k: number): number {
  h ^= mixKey(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Hashes `key` with `seed1` and `seed2` into `out`. ASCII keys are read in place; others as UTF-8. */
export function murmur3x2(key: string, seed1: number, seed2: number, out: HashPair): void {
  if (!isAscii(key)) {
    murmur3x2Bytes(Buffer.from(key, "utf8"), seed1, seed2, out);
    return;
  }
  let a = seed1 | 0;
  let b = seed2 | 0;
  const n = key.length;
  const blocks = n & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    const k =
      key.charCodeAt(i) |
      (key.charCodeAt(i + 1) << 8) |
      (key.charCodeAt(i + 2) << 16) |
      (key.charCodeAt(i + 3) << 24);
    a = mixState(a, k);
    b = mixState(b, k);
  }
  const rest = n & 3;
  if (rest > 0) {
    let tail = key.charCodeAt(i);
    if (rest > 1) tail |= key.charCodeAt(i + 1) << 8;
    if (rest > 2) tail |= key.charCodeAt(i + 2) << 16;
    a ^= mixKey(tail);
    b ^= mixKey(tail);
  }
  out.h1 = finalize(a, n);
  out.h2 = finalize(b, n);
}

/** The same hash over raw bytes (the UTF-8 encoding of a non-ASCII key). */
export function murmur3x2Bytes(bytes: Uint8Array, seed1: number, seed2: number, out: HashPair): void {
  let a = seed1 | 0;
  let b = seed2 | 0;
  const n = bytes.length;
  const blocks = n & ~3;
  let i = 0;
  for (; i < blocks; i += 4) {
    const k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    a = mixState(a, k);
    b = mixState(b, k);
  }
  const rest = n & 3;
  if (rest > 0) {
    let tail = bytes[i];
    if (rest > 1) tail |= bytes[i + 1] << 8;
    if (rest > 2) tail |= bytes[i + 2] << 16;
    a ^= mixKey(tail);
    b ^= mixKey(tail);
  }
  out.h1 = finalize(a, n);
  out.h2 = finalize(b, n);
}
