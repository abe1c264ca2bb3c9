// How a command reaches a local stack's functions and state machine: the warm stack `lethe up --local`
// runs (its endpoints in the outputs file, checked alive and serving this stack), else one started in
// this process for the command's length (a cold start: every function it calls is loaded once). Either
// way the command then calls them as it calls a deployed stack: Lambda Invoke and Step Functions.
import * as http from "node:http";
import type { LocalStack } from "../runtime/contracts/stack";
import { localCredentialsEnvironment } from "./stack/endpoint";
import { stackEnvironment } from "./erasure";
import { withEnvironment, PackagingOptions } from "./program/packaging";
import { startWarmStack, WarmStackInfo } from "./warmStack";

export interface WarmTarget {
  lambdaEndpoint: string;
  stepFunctionsEndpoint: string;
  /** `running`: the warm stack of `lethe up --local`; `in-process`: started by this command. */
  kind: "running" | "in-process";
  /** Executions started afterwards wait this long at Drain (the CLI's --drain-seconds). */
  setDrainSeconds(seconds: number): Promise<void>;
  info(): Promise<WarmStackInfo>;
  /** Stops an in-process stack; leaves a running one running. */
  close(): Promise<void>;
}

function request(url: string, method: "GET" | "POST", body?: unknown, timeoutMs = 2000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode} ${text}`));
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`${url}: not JSON`));
        }
      });
    });
    req.once("timeout", () => req.destroy(new Error(`${url}: no answer in ${timeoutMs} ms`)));
    req.once("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A warm stack's endpoints, and its settings set through them. */
function served(warm: { lambdaEndpoint: string; stepFunctionsEndpoint: string }) {
  return {
    lambdaEndpoint: warm.lambdaEndpoint,
    stepFunctionsEndpoint: warm.stepFunctionsEndpoint,
    setDrainSeconds: async (drainSeconds: number) => {
      await request(`${warm.stepFunctionsEndpoint}/lethe/settings`, "POST", { drainSeconds });
    },
  };
}

/** The warm stack the outputs file names, when it answers and serves this very stack. */
export async function runningWarmStack(stack: LocalStack): Promise<WarmTarget | undefined> {
  const warm = stack.warm;
  if (!warm?.stepFunctionsEndpoint || !warm.lambdaEndpoint) return undefined;
  const infoUrl = `${warm.stepFunctionsEndpoint}/lethe/warm`;
  // A stack busy loading its functions answers late; one whose process is gone, at once (refused).
  const alive = (() => {
    try {
      process.kill(warm.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  })();
  const info = (await request(infoUrl, "GET", undefined, alive ? 60_000 : 1000).catch(() => undefined)) as
    WarmStackInfo | undefined;
  if (!info || info.stack !== stack.stack || info.endpoint !== stack.endpoint) return undefined;
  return {
    ...served(warm),
    kind: "running",
    info: async () => (await request(infoUrl, "GET")) as WarmStackInfo,
    close: async () => undefined,
  };
}

export interface ConnectOptions {
  packaging?: PackagingOptions;
  /** The Drain wait of an in-process stack's executions (default 10 s). */
  drainSeconds?: number;
  /**
   * Where an in-process stack's functions' own output (their logs) goes while it runs; default
   * stderr, so that stdout holds what the command prints.
   */
  logs?: (chunk: string) => void;
  /** An in-process stack's functions' log level (default WARN). */
  functionLogLevel?: string;
}

/**
 * The warm stack serving `stack`: the running one, else one started here. Sets this process's local
 * credentials (an emulator takes any; without them the SDK looks for an instance role).
 */
export async function connectWarmStack(stack: LocalStack, options: ConnectOptions = {}): Promise<WarmTarget> {
  Object.assign(process.env, localCredentialsEnvironment());
  const running = await runningWarmStack(stack);
  if (running) return running;
  // The stack's environment is this process's own while the stack runs (a handler reading a variable
  // late, after its call has returned, still finds it); the caller's comes back when it closes.
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  void withEnvironment({ AWS_ENDPOINT_URL: stack.endpoint, ...stackEnvironment(stack) }, () => open);
  const logs = options.logs ?? ((chunk: string) => void process.stderr.write(chunk));
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (logs(chunk.toString()), true)) as typeof write;
  const closed = () => {
    process.stdout.write = write;
    release();
  };
  try {
    const warm = await startWarmStack(stack, {
      packaging: options.packaging,
      drainSeconds: options.drainSeconds,
      functionLogLevel: options.functionLogLevel,
      // A command's own stack lives for the command: no schedules, no notifications of its own.
      schedules: "off",
      bucketNotifications: false,
    });
    return {
      ...served(warm),
      kind: "in-process",
      info: async () => warm.info(),
      close: async () => {
        await warm.close();
        closed();
      },
    };
  } catch (err) {
    closed();
    throw err;
  }
}
