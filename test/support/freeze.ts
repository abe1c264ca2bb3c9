// Freezes this process's event loop for `ms` (no timer, no I/O callback runs meanwhile), as a long
// synchronous computation, a GC pause or a SIGSTOP would.
export function freezeEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
