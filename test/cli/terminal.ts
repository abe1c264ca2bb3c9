// Running `lethe` as a user does: piped (stdout and stderr apart, as a script or `| jq` sees them),
// or in a real terminal (a pseudo-TTY from python3's pty module: stdout and stderr are the terminal).
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export const bin = path.resolve(__dirname, "../../bin/lethe");

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

export function piped(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const ptyRunner = `
import os, pty, sys
status = pty.spawn(sys.argv[1:])
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** Runs in a pseudo-terminal; `out` is everything the terminal showed (stdout and stderr). */
export function inTerminal(args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync("python3", ["-c", ptyRunner, process.execPath, bin, ...args], {
    encoding: "utf8",
    env: { ...env, COLUMNS: "120", LINES: "40", TERM: "xterm" },
    input: "",
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
