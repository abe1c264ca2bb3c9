// The size DynamoDB counts for an item, by its published rules: names and strings by UTF-8 bytes,
// numbers by significant digits, 3 bytes per list or map plus 1 per element. Used to keep an item
// under the 400 KB limit before writing it, not after a ValidationException.

function valueBytes(v: unknown): number {
  if (v === null || v === undefined || typeof v === "boolean") return 1;
  if (typeof v === "string") return Buffer.byteLength(v, "utf8");
  if (typeof v === "number" || typeof v === "bigint") {
    const digits = String(v).replace(/^-/, "").replace(/e.*$/i, "").replace(".", "").replace(/^0+/, "");
    return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
  }
  if (v instanceof Uint8Array) return v.length;
  if (Array.isArray(v) || v instanceof Set) {
    let n = 3;
    for (const x of v) n += 1 + valueBytes(x);
    return n;
  }
  let n = 3;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === undefined) continue;
    n += 1 + Buffer.byteLength(k, "utf8") + valueBytes(x);
  }
  return n;
}

/** Bytes of a top-level item: each attribute's name plus its value. */
export function dynamoItemBytes(item: object): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) {
    if (v === undefined) continue;
    n += Buffer.byteLength(k, "utf8") + valueBytes(v);
  }
  return n;
}
