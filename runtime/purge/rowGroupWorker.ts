// Worker-thread entry: purges row groups sent by workerPool.ts, with the matcher given at start-up.
import { parentPort, workerData } from "node:worker_threads";
import { keyMatcher } from "./matcher";
import { RowGroupInput, purgeRowGroup } from "./rowGroupPurge";

const { columns, subjects } = workerData as { columns: string[]; subjects: string[][] };
const matcher = keyMatcher(columns, subjects);

parentPort!.on("message", async ({ id, input }: { id: number; input: RowGroupInput }) => {
  try {
    const outcome = await purgeRowGroup(input, matcher);
    const transfer =
      outcome.kind === "rewrite" ? outcome.chunks.map((c) => c.bytes.buffer as ArrayBuffer) : [];
    parentPort!.postMessage({ id, outcome }, transfer);
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({ id, error: { name: e.name, message: e.message, stack: e.stack } });
  }
});
