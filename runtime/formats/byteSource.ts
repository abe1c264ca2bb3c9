// Where a format reads an object's bytes from, by offset: a buffer, a local file, an S3 object version.
import * as fs from "node:fs";
export interface ByteSource {
  readonly size: number;
  /** What errors call the object: a path, an s3:// URL. */
  readonly name?: string;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array, name?: string): ByteSource {
  return {
    size: bytes.length,
    name,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** Writes all of `source` to `file` (a local copy of a format with no columns to skip); returns its size. */
export async function copyWhole(source: ByteSource, file: string): Promise<number> {
  const bytes = await source.read(0, source.size);
  await fs.promises.writeFile(file, bytes);
  return bytes.length;
}
