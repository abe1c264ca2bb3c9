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
