// Starts the local AWS emulator (moto server, from the project's .venv) on a free 127.0.0.1 port.
// Used by the test harness and by `npm run demo`; the emulator dies with the process that started it.
import { spawn, ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as fs from "node:fs";
import { projectRoot } from "../runtime/contracts/projectConfig";

export interface LocalEmulator {
  endpoint: string;
  /** The emulator's process id. */
  pid: number;
  stop(): Promise<void>;
}

const root = projectRoot();

export async function startLocalEmulator(timeoutMs = 60_000): Promise<LocalEmulator> {
  const python = path.join(root, ".venv", "bin", "python");
  if (!fs.existsSync(python)) {
    throw new Error(
      `local AWS emulator not installed: ${python} is missing (run: bash scripts/ensure-venv.sh)`,
    );
  }
  const child: ChildProcess = spawn(python, [path.join(root, "tools", "moto_server.py")], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  let stderr = "";
  // LETHE_EMULATOR_LOG=<file>: the emulator's own log (its tracebacks), for a run that goes wrong.
  const log = process.env.LETHE_EMULATOR_LOG
    ? fs.createWriteStream(process.env.LETHE_EMULATOR_LOG)
    : undefined;
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    log?.write(d);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`moto server did not start in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /LETHE_MOTO_PORT=(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`moto server exited with code ${code} before listening: ${stderr}`));
    });
  });
  // Belt and braces: the stdin pipe already ends the emulator when we die.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener("exit", killOnExit);
        if (child.exitCode !== null) return resolve();
        const force = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(force);
          resolve();
        });
        child.stdin?.end();
      }),
  };
}

/** Points this process's AWS SDK clients at a local emulator, with dummy credentials it accepts. */
export function useLocalEmulator(endpoint: string, region = "eu-west-1"): void {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_REGION = region;
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}
