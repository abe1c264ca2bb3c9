// Purging local files: read by offset from a file handle, write to a temporary file next to the
// output and rename it into place only when the whole purge succeeded, so a failure leaves no output.
import * as fs from "node:fs";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import type { ByteSource } from "../formats/byteSource";
import type { ByteSink, PurgeOptions, PurgeStats } from "../formats/lakeFormat";
import { purgeParquet } from "../formats/parquet/parquetPurge";
import { KeyMatcher } from "../subjects/matcher";
import { checkReadRange, shortRead } from "../formats/corruptObject";

export async function withFileSource<T>(file: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const handle = await fs.promises.open(file, "r");
  try {
    const { size } = await handle.stat();
    return await use({
      size,
      name: file,
      read: async (offset, length) => {
        checkReadRange(file, size, offset, length);
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buf, 0, length, offset);
        if (bytesRead !== length) throw shortRead(file, offset, length, bytesRead);
        return buf;
      },
    });
  } finally {
    await handle.close();
  }
}

/** Writes `output` atomically: everything goes to a temporary file that is renamed on success. */
export async function writeAtomically<T>(
  output: string,
  produce: (sink: ByteSink) => Promise<T>,
): Promise<T> {
  const temp = path.join(path.dirname(path.resolve(output)), `.${path.basename(output)}.${randomUUID()}.tmp`);
  const handle = await fs.promises.open(temp, "wx");
  try {
    const result = await produce({
      write: async (bytes) => {
        await handle.write(bytes);
      },
    });
    await handle.close();
    await fs.promises.rename(temp, output);
    return result;
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
}

export async function purgeParquetFile(
  input: string,
  output: string,
  matcher: KeyMatcher,
  options?: PurgeOptions,
): Promise<PurgeStats> {
  return withFileSource(input, (source) =>
    writeAtomically(output, (sink) => purgeParquet(source, sink, matcher, options)),
  );
}
