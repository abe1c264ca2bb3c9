// Progress of long work on stderr, so stdout stays the command's result (and `--json` stays JSON): a
// bar on a terminal (cli-progress), plain lines otherwise (logs, CI, pipes). One `Progress` per
// step: `lethe up --local` (resources provisioned of total), `lethe index backfill` (versions
// indexed), `erase --wait` (a step's objects done of total), benchmarks. Here in local/, below both
// cli/ and bench/, so the benchmarks import no CLI module (test/layout.test.ts).
import type { MultiBar, SingleBar } from "cli-progress";

export interface ProgressOptions {
  /** Where progress goes (default stderr). */
  stream?: NodeJS.WriteStream;
  /** Force the bar (true) or plain lines (false); default: a bar when the stream is a terminal. */
  tty?: boolean;
  /** Plain lines: at most one per this many ms, besides the last (default 0: every update). */
  plainIntervalMs?: number;
}

export interface Progress {
  /** `done` units (of the total, when known) with a short text of where the work is. */
  update(done: number, text?: string): void;
  /** A line of its own, kept above the bar on a terminal. */
  log(line: string): void;
  /** Ends this progress; `summary` (when given) is printed as its last line. */
  done(summary?: string): void;
}

/** Starts the progress of one step called `title`, of `total` units when known. */
export function startProgress(
  title: string,
  total: number | undefined,
  options: ProgressOptions = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  return tty
    ? barProgress(title, total, stream)
    : plainProgress(title, total, stream, options.plainIntervalMs ?? 0);
}

function plainProgress(
  title: string,
  total: number | undefined,
  stream: NodeJS.WritableStream,
  intervalMs: number,
): Progress {
  let last = 0;
  return {
    update(done, text) {
      const now = Date.now();
      if (intervalMs > 0 && now - last < intervalMs && done !== total) return;
      last = now;
      const count = total === undefined ? "" : `${done}/${total}`;
      stream.write(`${[`${title}:`, count, text].filter(Boolean).join(" ")}\n`);
    },
    log: (line) => void stream.write(`${line}\n`),
    done: (summary) => void (summary !== undefined && stream.write(`${title}: ${summary}\n`)),
  };
}

function barProgress(title: string, total: number | undefined, stream: NodeJS.WriteStream): Progress {
  // Loaded only on a terminal.
  const cliProgress = require("cli-progress") as typeof import("cli-progress");
  const counted = total !== undefined;
  const multi: MultiBar = new cliProgress.MultiBar(
    {
      stream,
      format: counted
        ? `${title} [{bar}] {value}/{total} {percentage}% {duration_formatted} {text}`
        : `${title} {value} {duration_formatted} {text}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      fps: 10,
      linewrap: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar: SingleBar = multi.create(total ?? 0, 0, { text: "" });
  return {
    update: (done, text = "") => bar.update(done, { text }),
    log: (line) => multi.log(`${line}\n`),
    done(summary) {
      bar.stop();
      multi.stop();
      if (summary !== undefined) stream.write(`${title}: ${summary}\n`);
    },
  };
}

export interface StepProgress {
  /** The work is at `step`, with `done` of `total` units when known; a new step ends the one before. */
  at(step: string, done?: number, total?: number, text?: string): void;
  /** Ends the last step; `summary` (when given) is printed last. */
  done(summary?: string): void;
}

/**
 * Step-by-step progress of a job seen from outside (`erase --wait` polling a batch: find, approval,
 * forget with objects done/total, verify, report): one bar, or plain lines, per step.
 */
export function stepProgress(title: string, options: ProgressOptions = {}): StepProgress {
  let current: { step: string; total: number | undefined; progress: Progress } | undefined;
  return {
    at(step, done = 0, total, text) {
      if (!current || current.step !== step || current.total !== total) {
        current?.progress.done();
        current = { step, total, progress: startProgress(`${title} ${step}`, total, options) };
      }
      current.progress.update(done, text);
    },
    done(summary) {
      current?.progress.done();
      current = undefined;
      if (summary !== undefined) (options.stream ?? process.stderr).write(`${title}: ${summary}\n`);
    },
  };
}
