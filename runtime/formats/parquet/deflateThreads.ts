// Deflates GZIP page bodies on dedicated threads with zlib's synchronous API. On libuv's pool (zlib's
// async API) the calling thread must hand over each next page, and it cannot while it spends 100-200 ms
// in a WASM decode or encode, so the pool starved; and that pool runs first in, first out, so the
// inflates the calling thread waits for queued behind a whole row group of deflates. Here every page is
// posted at once and each thread works through its queue by itself; inflates keep libuv's pool to
// themselves. Measured: docs/purge.md.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** The thread's whole program: plain JavaScript, so no build step has to emit a file for it. */
const THREAD_SOURCE = `
const { parentPort } = require("node:worker_threads");
const zlib = require("node:zlib");
parentPort.on("message", ({ id, body, shared, offset, length, level }) => {
  try {
    if (shared) body = new Uint8Array(shared, offset, length);
    const out = zlib.gzipSync(body, { level, strategy: zlib.constants.Z_FILTERED, chunkSize: Math.min(Math.max(body.length + 1024, 64), 64 << 20) });
    parentPort.postMessage({ id, out });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
});
`;

interface Job {
  resolve: (out: Uint8Array) => void;
  reject: (err: Error) => void;
  bytes: number;
}

interface DeflateThread {
  worker: Worker;
  jobs: Map<number, Job>;
  /** Bytes posted and not yet answered: a new page goes to the thread with the least. */
  queued: number;
}

let threads: DeflateThread[] | undefined;
let nextId = 0;

/**
 * Starts the threads ahead of the first page: a thread takes tens of milliseconds of CPU to boot,
 * which is free while the first row group is still being read and decoded.
 */
export function startDeflateThreads(): void {
  deflateThreads();
}

function deflateThreads(): DeflateThread[] {
  return (threads ??= Array.from({ length: availableParallelism() }, startThread));
}

/** gzip of `body` at `level`, computed on a deflate thread. */
export function gzipOnThread(body: Uint8Array, level: number): Promise<Uint8Array> {
  const thread = deflateThreads().reduce((a, b) => (b.queued < a.queued ? b : a));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    thread.jobs.set(id, { resolve, reject, bytes: body.length });
    thread.queued += body.length;
    if (thread.jobs.size === 1) thread.worker.ref(); // keeps the process alive while a page is out
    if (body.buffer instanceof SharedArrayBuffer) {
      // Read in place; the caller does not change the bytes while the page is out.
      const { buffer: shared, byteOffset: offset, length } = body;
      thread.worker.postMessage({ id, shared, offset, length, level });
    } else {
      // A copy with its own buffer, moved to the thread: posting a view would copy the whole buffer
      // under it. (Not `body.slice()`: on a Buffer that is a view, and moving it detaches the caller's.)
      const own = new Uint8Array(body);
      thread.worker.postMessage({ id, body: own, level }, [own.buffer]);
    }
  });
}

function startThread(): DeflateThread {
  const worker = new Worker(THREAD_SOURCE, { eval: true });
  worker.unref(); // an idle thread never holds the process open
  const thread: DeflateThread = { worker, jobs: new Map(), queued: 0 };
  const settle = (id: number): Job | undefined => {
    const job = thread.jobs.get(id);
    if (!job) return undefined;
    thread.jobs.delete(id);
    thread.queued -= job.bytes;
    if (thread.jobs.size === 0) worker.unref();
    return job;
  };
  worker.on("message", (msg: { id: number; out?: Uint8Array; error?: string }) => {
    const job = settle(msg.id);
    if (msg.error !== undefined) job?.reject(new Error(`deflate failed: ${msg.error}`));
    else job?.resolve(msg.out!);
  });
  const fail = (err: Error) => {
    for (const id of [...thread.jobs.keys()]) settle(id)!.reject(err);
    // A dead thread is replaced on the next page.
    if (threads) threads = threads.filter((t) => t !== thread);
    if (threads?.length === 0) threads = undefined;
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`deflate thread exited with code ${code}`)));
  return thread;
}
