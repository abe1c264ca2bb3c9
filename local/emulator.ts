// Starts the local AWS emulator (moto server, from the project's .venv) on a free 127.0.0.1 port.
// Used by the test harness and by `npm run demo`; the emulator dies with the process that started it.
import { spawn, ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as fs from "node:fs";
import * as os from "node:os";
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
  // Its log goes to a file, never to a pipe: a parent blocked in spawnSync (a test running the CLI)
  // reads no pipe, and an emulator blocked writing its log answers nobody, the CLI included.
  // LETHE_EMULATOR_LOG=<file> keeps that log (its tracebacks) for a run that goes wrong.
  const logFile =
    process.env.LETHE_EMULATOR_LOG ??
    path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lethe-emulator-")), "moto.log");
  const logFd = fs.openSync(logFile, "a");
  const child: ChildProcess = spawn(python, [path.join(root, "local", "moto_server.py")], {
    stdio: ["pipe", "pipe", logFd],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  fs.closeSync(logFd);
  const logTail = () => {
    try {
      return fs.readFileSync(logFile, "utf8").slice(-4000);
    } catch {
      return "";
    }
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`moto server did not start in ${timeoutMs} ms: ${logTail()}`)),
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
      reject(new Error(`moto server exited with code ${code} before listening: ${logTail()}`));
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
          if (!process.env.LETHE_EMULATOR_LOG)
            fs.rmSync(path.dirname(logFile), { recursive: true, force: true });
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
