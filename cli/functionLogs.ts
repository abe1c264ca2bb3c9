// The functions' own logs during a local command (`lethe demo`): they run in this process and log
// JSON records (Powertools) to stdout and stderr, as in Lambda, where they would drown the command's
// progress. Diverted, every JSON record goes to a log file; the command's own lines pass through.
import * as fs from "node:fs";
import * as path from "node:path";

export interface DivertedLogs {
  file: string;
  /** Records written to the file so far. */
  records(): number;
  /** Puts stdout and stderr back and closes the file. */
  restore(): void;
}

/** A log record as the functions write it: a JSON object on a line of its own. */
function isLogRecord(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith("{") && t.trimEnd().endsWith("}");
}

/** The default log file of `command`: `.lethe/logs/<command>-<time>.log` under the working directory. */
export function defaultLogFile(command: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  return path.join(".lethe", "logs", `${command}-${stamp}.log`);
}

/** From now until `restore()`, JSON log records written to stdout or stderr go to `file`. */
export function divertFunctionLogs(file: string): DivertedLogs {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, "a");
  let count = 0;
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    const write = originals[i];
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (!isLogRecord(text)) return (write as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      fs.writeSync(fd, text.endsWith("\n") ? text : `${text}\n`);
      count += 1;
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof stream.write;
  });
  return {
    file,
    records: () => count,
    restore() {
      streams.forEach((stream, i) => (stream.write = originals[i]));
      fs.closeSync(fd);
    },
  };
}
