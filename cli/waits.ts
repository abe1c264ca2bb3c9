// Long waits say what they wait for. A command sets what it is waiting for as it goes; whenever
// stderr has been silent for 2 s while something is awaited, one line names it (and how long it has
// taken), then again every 10 s while the silence lasts: no wait of a local command is silent.
export interface WaitNarrator {
  /** What the command waits for from now on; undefined when it waits for nothing worth a line. */
  waitingFor(label: string | undefined): void;
  /** Stops narrating and puts stderr back. */
  stop(): void;
}

export interface NarratorOptions {
  /** Silence before the first line (default 2,000 ms). */
  afterMs?: number;
  /** Between two lines while the silence lasts (default 10,000 ms). */
  everyMs?: number;
  /** How often silence is checked (default 250 ms). */
  tickMs?: number;
}

export function narrateWaits(prefix: string, o: NarratorOptions = {}): WaitNarrator {
  const afterMs = o.afterMs ?? 2000;
  const everyMs = o.everyMs ?? 10_000;
  const stream = process.stderr;
  const write = stream.write;
  let lastOutput = Date.now();
  let lastNotice = 0;
  let label: string | undefined;
  let since = Date.now();
  // Anything the command writes to stderr (a line, a bar redrawn) ends the silence.
  stream.write = ((...args: unknown[]) => {
    lastOutput = Date.now();
    return (write as (...a: unknown[]) => boolean).apply(stream, args);
  }) as typeof stream.write;
  const timer = setInterval(() => {
    const now = Date.now();
    if (label === undefined || now - lastOutput < afterMs) return;
    if (lastNotice > lastOutput - 1 && now - lastNotice < everyMs) return;
    const seconds = Math.round((now - since) / 1000);
    write.call(stream, `${prefix}: waiting for ${label} (${seconds} s so far)\n`);
    lastNotice = now;
  }, o.tickMs ?? 250);
  timer.unref();
  return {
    waitingFor(next) {
      if (next !== label) since = Date.now();
      label = next;
    },
    stop() {
      clearInterval(timer);
      stream.write = write;
    },
  };
}

/** Runs `work` with one label for all of it (a command that waits for one thing). */
export async function withWaitLabel<T>(prefix: string, label: string, work: () => Promise<T>): Promise<T> {
  const narrator = narrateWaits(prefix);
  narrator.waitingFor(label);
  try {
    return await work();
  } finally {
    narrator.stop();
  }
}

/** What `erase` waits for after one of its lines. */
export function eraseWaitAfter(line: string): string | undefined {
  if (/ received; deadline /.test(line)) return "the batch function, to batch the request";
  if (/: (COMPLETED|NEEDS_ATTENTION|REJECTED|CANCELLED)$/.test(line)) return undefined;
  return "the batch's next step (find, forget, drain, verify, report)";
}

/** What a step of the batch waits for; forget is followed by the drain, the one long fixed wait. */
export function stepWait(s: { step: string }, drainSeconds: number): string {
  if (s.step !== "forget") return s.step;
  return `forget, then draining for ${drainSeconds} s (records in flight at intake landing; --drain-seconds), then verify`;
}
