// An object whose bytes cannot be decoded (flipped bytes, truncation, a page that inflates to more
// than its header says, a JSON line that is not JSON): the purge stops, writes nothing, and says where.

export class CorruptObjectError extends Error {
  constructor(
    /** The object, e.g. a file path or s3://bucket/key (undefined when the caller gave no name). */
    readonly object: string | undefined,
    /** Where in it: "footer", "row group 3", "line 12", "gzip stream". */
    readonly part: string,
    readonly detail: string,
  ) {
    super(`${object ?? "the object"} is corrupt: ${part}: ${detail}`);
    this.name = "CorruptObjectError";
  }
}

/** A thrown value's message, whatever was thrown (WASM code throws strings too). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Refuses a read outside the object: an offset or length from a corrupt footer (negative, past the
 * end) would otherwise reach the store as a nonsense range and fail as an unnamed short read.
 */
export function checkReadRange(
  object: string | undefined,
  size: number,
  offset: number,
  length: number,
): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  )
    throw new CorruptObjectError(
      object,
      "byte range",
      `a read of ${length} byte(s) at offset ${offset} lies outside the object's ${size} bytes (an offset or length in its footer is wrong)`,
    );
}

/** A read that returned fewer bytes than asked for: the object is shorter than its size says. */
export function shortRead(
  object: string | undefined,
  offset: number,
  length: number,
  got: number,
): CorruptObjectError {
  return new CorruptObjectError(
    object,
    "byte range",
    `${got} of ${length} byte(s) came back from offset ${offset}: the object is shorter than its stated size (truncated?)`,
  );
}
