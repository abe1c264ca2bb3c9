// A small pool of worker threads that purge row groups in parallel: parquet-wasm is single-threaded,
// so one WASM instance per core is how a purge uses every core. Errors come back with their class.
import { Worker } from "node:worker_threads";
import * as path from "node:path";
import { KeyMatcher, MatchSpecError } from "../../subjects/matcher";
import { RowGroupInput, RowGroupOutcome } from "./rowGroupPurge";
import { ParquetFormatError } from "./parquetFormat";
import { UnfaithfulRewriteError } from "./rowGroupRewrite";

const errorClasses: Record<string, new (message: string) => Error> = {
  MatchSpecError,
  ParquetFormatError,
  UnfaithfulRewriteError,
};

interface Pending {
  resolve: (o: RowGroupOutcome) => void;
  reject: (e: Error) => void;
}

export class RowGroupWorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { input: RowGroupInput; pending: Pending }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(size: number, matcher: KeyMatcher) {
    const data = { columns: [...matcher.columns], subjects: matcher.subjects, olderThan: matcher.olderThan };
    for (let i = 0; i < size; i++) {
      const worker = startWorker(data);
      worker.on(
        "message",
        (msg: { id: number; outcome?: RowGroupOutcome; error?: { name: string; message: string } }) => {
          const p = this.pending.get(msg.id)!;
          this.pending.delete(msg.id);
          this.release(worker);
          if (msg.error) {
            const Cls = errorClasses[msg.error.name] ?? Error;
            p.reject(new Cls(msg.error.message));
          } else p.resolve(msg.outcome!);
        },
      );
      worker.on("error", (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  run(input: RowGroupInput): Promise<RowGroupOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private release(worker: Worker): void {
    this.idle.push(worker);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const { input, pending } = this.queue.shift()!;
      const id = this.nextId++;
      this.pending.set(id, pending);
      worker.postMessage({ id, input });
    }
  }
}

/** Compiled JS runs the worker file directly; under ts-node (tests, CLI) the worker registers it too. */
function startWorker(workerData: unknown): Worker {
  const js = path.join(__dirname, "rowGroupWorker.js");
  if (__filename.endsWith(".js")) return new Worker(js, { workerData });
  const ts = path.join(__dirname, "rowGroupWorker.ts");
  const code = `require("ts-node").register({ transpileOnly: true }); require(${JSON.stringify(ts)});`;
  return new Worker(code, { eval: true, workerData });
}
