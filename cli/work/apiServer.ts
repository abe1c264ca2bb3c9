// `lethe api --local`: the HTTP API over real HTTP on 127.0.0.1 against a local stack. Each call is
// turned into the REST proxy event API Gateway would send and answered by the API function's router
// (runtime/api/router.ts) with the environment the program gives the API function; the console
// functions behind the routes run packaged, in this process, with their own local environment (as
// `lethe invoke` runs them), reached through Lambda Invoke served on loopback as deployed. The stage's throttling is a token bucket with the stack's rate and burst.
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { UsageError } from "../../runtime/contracts/errors";
import { envNames } from "../../runtime/contracts/env";
import { apiDepsFromEnv } from "../../runtime/handlers/api";
import { ApiDeps, ApiEvent, ApiResult, ConsoleFunction, createApiRouter } from "../../runtime/api/router";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import type { LocalStack } from "../../runtime/contracts/stack";
import { localCredentialsEnvironment } from "../../local/stack/endpoint";
import { throttledBody } from "../../runtime/api/errors";
import { lambdaCaller } from "../../runtime/api/lambdaCaller";
import { makeLambdaClient } from "../../runtime/aws/clients";
import { LocalLambda, LocalLambdaHandler, serveLocalLambda } from "../../local/lambda";
import { defaultStackOutputsFile, readStackOutputs, StackOutputs } from "./stackOutputs";
import { localizeEnvironment } from "../../local/erasure/environment";
import {
  lambdaEnvironment,
  loadPackagedHandler,
  PackagedHandler,
  packagedFunction,
} from "../../local/program/packaging";

/** API Gateway's own cap on a request body; the routes' limits are lower. */
const gatewayMaxBodyBytes = 10 * 1024 * 1024;

export interface Throttle {
  /** Requests per second, steady. */
  rateLimit: number;
  /** Requests at once above the steady rate. */
  burstLimit: number;
}

export interface ApiServerOptions {
  /** Default 0: any free port. */
  port?: number;
  stackOutputsFile?: string;
  stack?: string;
  /** Defaults to the stack's `apiThrottle` output. */
  throttle?: Throttle;
  /** Replaces the packaged console functions (a test of the server alone). */
  call?: ApiDeps["call"];
  now?: () => Date;
  /** Where the functions' own output (their logs) goes; default: dropped. */
  logs?: (chunk: string) => void;
  /** Where the server's own error lines go (one per 500: the error's class and message); default stderr. */
  errors?: (line: string) => void;
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A token bucket: `take()` is false when the call must be throttled. */
export function tokenBucket(t: Throttle, now = () => Date.now()): { take(): boolean } {
  let tokens = t.burstLimit;
  let at = now();
  return {
    take() {
      const n = now();
      tokens = Math.min(t.burstLimit, tokens + ((n - at) / 1000) * t.rateLimit);
      at = n;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

function localEnvironmentOf(env: Record<string, string>, outputs: StackOutputs): Record<string, string> {
  const out: Record<string, string> = {
    ...localizeEnvironment(env, outputs.localResources),
    AWS_ENDPOINT_URL: String(outputs.endpoint),
  };
  if (typeof outputs.region === "string") out.AWS_REGION = outputs.region;
  if (!process.env.AWS_ACCESS_KEY_ID)
    Object.assign(out, { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" });
  return out;
}

/** The functions the API's console functions reach: themselves, and the filter builder (request). */
const servedFunctions = [
  "request",
  "status",
  "cancel",
  "approval",
  "opt-in",
  "batch",
  "filter-builder",
] as const;

/**
 * Lambda Invoke served locally (local/lambda.ts) for the console functions and what they call,
 * each packaged and loaded once (a cold start) with its local environment: the API function's calls
 * take the deployed path (lambdaCaller), and so does the request function's call to the filter builder.
 */
async function servePackagedFunctions(
  outputs: StackOutputs,
  stack: string,
  logs: (chunk: string) => void,
): Promise<{ lambda: LocalLambda; names: Record<ConsoleFunction, string> }> {
  const handlers: Record<string, LocalLambdaHandler> = {};
  let endpoint = "";
  const names: Partial<Record<string, string>> = {};
  for (const shortName of servedFunctions) {
    const fn = await packagedFunction(shortName, { stack });
    names[shortName] = fn.functionName;
    let loaded: PackagedHandler | undefined;
    handlers[fn.functionName] = async (event) => {
      loaded ??= loadPackagedHandler(fn, {
        ...localEnvironmentOf(lambdaEnvironment(fn), outputs),
        AWS_ENDPOINT_URL_LAMBDA: endpoint,
      });
      // The functions log JSON to stdout, as in Lambda; keep it off the server's own output.
      const write = process.stdout.write;
      process.stdout.write = ((chunk: string | Uint8Array) => (
        logs(chunk.toString()),
        true
      )) as typeof process.stdout.write;
      try {
        return JSON.parse(JSON.stringify((await loaded(event)) ?? null));
      } finally {
        process.stdout.write = write;
      }
    };
  }
  const lambda = await serveLocalLambda(handlers);
  endpoint = lambda.endpoint;
  return { lambda, names: names as Record<ConsoleFunction, string> };
}

function readBody(req: http.IncomingMessage): Promise<Buffer | "too large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= gatewayMaxBodyBytes) chunks.push(c);
    });
    req.on("end", () => resolve(size > gatewayMaxBodyBytes ? "too large" : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function eventOf(req: http.IncomingMessage, body: Buffer): ApiEvent {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  return {
    httpMethod: req.method ?? "GET",
    path: url.pathname,
    headers,
    queryStringParameters: Object.keys(query).length ? query : null,
    body: body.length ? body.toString("base64") : null,
    isBase64Encoded: body.length > 0,
    // Stage `local`: the API serves its console here without a sign-in (loopback only).
    requestContext: {
      requestId: `local-${Date.now()}`,
      stage: "local",
      identity: { userArn: "local:lethe-api" },
    },
  };
}

/** One line for an error the API answered 500 for: its class and message, never the request's data. */
export function errorLine(entry: Record<string, unknown>): string {
  const where = entry.operation ?? entry.function ?? "the server";
  const message = entry.message ? `: ${String(entry.message)}` : "";
  return `lethe api: 500 in ${String(where)}: ${String(entry.error ?? "Error")}${message}\n`;
}

/** Where the server's 500 lines go: the caller's sink, else stderr. */
function errorSink(opts: ApiServerOptions): (line: string) => void {
  return opts.errors ?? ((line: string) => void process.stderr.write(line));
}

function throttleOf(outputs: StackOutputs): Throttle {
  const t = outputs.apiThrottle as Partial<Throttle> | undefined;
  return { rateLimit: t?.rateLimit ?? 50, burstLimit: t?.burstLimit ?? 100 };
}

type Router = ((event: ApiEvent) => Promise<ApiResult>) & { close?: () => Promise<void> };

/**
 * API Gateway's proxy integration against the running warm stack of `lethe up --local`: each call is
 * Lambda Invoke of the API function there, as API Gateway invokes it deployed (nothing packaged in
 * this process). None when no warm stack runs for these outputs.
 */
async function warmApiRouter(outputs: StackOutputs): Promise<{ router: Router } | undefined> {
  const { runningWarmStack } = await import("../../local/connect");
  const target = await runningWarmStack(outputs as unknown as LocalStack);
  const name = outputs.apiFunction;
  if (!target || typeof name !== "string") return undefined;
  Object.assign(process.env, localCredentialsEnvironment());
  const lambda = makeLambdaClient({ endpoint: target.lambdaEndpoint });
  const router: Router = async (event) => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const reply = JSON.parse(out.Payload ? Buffer.from(out.Payload).toString("utf8") : "null");
    if (out.FunctionError) throw new Error(`${name} failed: ${reply?.errorType}: ${reply?.errorMessage}`);
    return reply as ApiResult;
  };
  return { router };
}

/** The API function's router in this process, the console functions packaged behind a local Lambda Invoke. */
async function inProcessRouter(
  outputs: StackOutputs,
  stack: string,
  opts: ApiServerOptions,
): Promise<Router> {
  const api = await packagedFunction("api", { stack });
  const env = localEnvironmentOf(lambdaEnvironment(api), outputs);
  // The deployed URL means nothing here: the document is served without `servers`.
  delete env[envNames.apiBaseUrl];
  const logs = opts.logs ?? (() => undefined);
  const served = opts.call ? undefined : await servePackagedFunctions(outputs, stack, logs);
  const clients = {
    endpoint: outputs.endpoint,
    ...(typeof outputs.region === "string" ? { region: outputs.region } : {}),
  };
  const call =
    opts.call ??
    lambdaCaller(makeLambdaClient({ ...clients, endpoint: served!.lambda.endpoint }), served!.names);
  const errors = errorSink(opts);
  const router: Router = createApiRouter({
    ...apiDepsFromEnv(env, call, clients),
    log: (entry) => entry.level === "error" && errors(errorLine(entry)),
    ...(opts.now ? { now: opts.now } : {}),
  });
  router.close = async () => served?.lambda.close();
  return router;
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const file = opts.stackOutputsFile ?? defaultStackOutputsFile;
  const outputs = readStackOutputs(file);
  if (!outputs.local || typeof outputs.endpoint !== "string")
    throw new UsageError(
      `'${file}' is not a local stack's outputs (run \`lethe up --local\`); a deployed stack has its API in API Gateway`,
    );
  const stack = opts.stack ?? outputs.stack ?? "dev";
  const errors = errorSink(opts);
  const warm = opts.call || opts.now ? undefined : await warmApiRouter(outputs);
  const router = warm?.router ?? (await inProcessRouter(outputs, stack, opts));
  const bucket = tokenBucket(opts.throttle ?? throttleOf(outputs));
  const server = http.createServer((req, res) => {
    const answer = (status: number, headers: Record<string, string>, body: string) => {
      res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
      res.end(body);
    };
    void (async () => {
      const body = await readBody(req);
      if (!bucket.take())
        return answer(429, { "content-type": "application/json" }, JSON.stringify(throttledBody));
      if (body === "too large")
        return answer(
          413,
          { "content-type": "application/json" },
          JSON.stringify({
            code: "body_too_large",
            message: `the body is over API Gateway's ${gatewayMaxBodyBytes} bytes`,
          }),
        );
      const result = await router(eventOf(req, body));
      answer(result.statusCode, result.headers, result.body);
    })().catch((err: Error) => {
      errors(errorLine({ error: err?.name ?? "Error", message: err?.message ?? String(err) }));
      answer(
        500,
        { "content-type": "application/json" },
        JSON.stringify({ code: "internal_error", message: "the local API server failed" }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new UsageError(`port ${opts.port} is in use; pick another with --port`)
          : err,
      ),
    );
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await router.close?.();
    },
  };
}
