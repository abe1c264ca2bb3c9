// Worker-thread entry: purges row groups sent by workerPool.ts, with the matcher given at start-up.
import { parentPort, workerData } from "node:worker_threads";
import { keyMatcher } from "../../subjects/matcher";
import { OlderThan, olderThanMatcher } from "../../subjects/olderThan";
import { RowGroupInput, purgeRowGroup } from "./rowGroupPurge";

const { columns, subjects, olderThan } = workerData as {
  columns: string[];
  subjects: string[][];
  olderThan?: OlderThan;
};
const matcher = olderThan
  ? olderThanMatcher(olderThan.column, olderThan.cutoffMs)
  : keyMatcher(columns, subjects);

parentPort!.on("message", async ({ id, input }: { id: number; input: RowGroupInput }) => {
  try {
    const outcome = await purgeRowGroup(input, matcher);
    // Moves the chunks' buffers rather than copying them, where a chunk alone owns its whole buffer. A
    // small chunk is a view on Node's shared Buffer pool, which cannot be moved (posting it throws
    // "Cannot transfer object of unsupported type": small row groups failed with workers); it is copied.
    const transfer: ArrayBuffer[] = [];
    if (outcome.kind === "rewrite") {
      const uses = new Map<ArrayBufferLike, number>();
      for (const { bytes } of outcome.chunks) uses.set(bytes.buffer, (uses.get(bytes.buffer) ?? 0) + 1);
      for (const { bytes } of outcome.chunks) {
        const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
        if (whole && uses.get(bytes.buffer) === 1 && bytes.buffer instanceof ArrayBuffer)
          transfer.push(bytes.buffer);
      }
    }
    parentPort!.postMessage({ id, outcome }, transfer);
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id, error: { name: e.name, message: e.message, stack: e.stack } });
  }
});
