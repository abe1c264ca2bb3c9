// A warm local stack, as `sam local start-lambda` is for SAM: beside the emulator, one long-lived
// process serves on loopback Lambda's Invoke API for every function the program declares (each
// loaded once from its package with the environment the program gives it, and kept warm between
// calls) and the Step Functions API for the state machine (the definition the program deploys, run
// in this process: local/erasure), and drives what the program wires: the purge queue's and its
// dead-letter queue's event source mappings (declared batch size, the queue's visibility timeout),
// the indexer's S3 notifications (local/bucketNotifications.ts) and the schedules (local/schedules.ts).
// Every command then takes the deployed code path (Lambda Invoke, Step Functions calls) against these
// endpoints (local/connect.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { envNames } from "../runtime/contracts/env";
import type { LocalStack, WarmStackEndpoints } from "../runtime/contracts/stack";
import {
  batchFunctionEnvironment,
  defaultFindCacheDir,
  drainStackQueues,
  functionNamed,
  stackPackaging,
  startLocalBatch,
} from "./erasure";
import { serveLocalLambda } from "./lambda";
import {
  loadPackagedHandler,
  PackagedFunction,
  PackagedHandler,
  packagedFunctions,
  PackagingOptions,
} from "./program/packaging";
import { watchBucketNotifications } from "./bucketNotifications";
import { ScheduleMode, startSchedules } from "./schedules";
import { serveStepFunctionsApi } from "./stepFunctionsApi";

export interface WarmStackOptions {
  packaging?: PackagingOptions;
  /** Default off. */
  schedules?: ScheduleMode;
  /** The period of every schedule in `fast` mode (default 10 s). */
  fastScheduleSeconds?: number;
  /** The Drain wait of executions started (default 10 s; `lethe erase --drain-seconds` sets it per command). */
  drainSeconds?: number;
  /** Purge queue pollers at once (default 2). */
  purgeConcurrency?: number;
  /** Deliver the S3 notifications the program declares (default true). */
  bucketNotifications?: boolean;
  /** How often the notified buckets are listed (default 2000 ms). */
  bucketPollMs?: number;
  /** The functions' log level (POWERTOOLS_LOG_LEVEL); default WARN, as a local batch runs them. */
  functionLogLevel?: string;
  /** Load every function's handler in the background once serving (default false: each on first call). */
  preload?: boolean;
  /** Told of a failure no caller sees (a schedule's or a notification's invocation); default stderr. */
  onError?: (what: string, err: unknown) => void;
}

/** What `GET /lethe/warm` answers. */
export interface WarmStackInfo {
  stack: string;
  /** The emulator the functions talk to. */
  endpoint: string;
  pid: number;
  startedAt: string;
  /** Invocations served, by function short name (schedules, queues and notifications included). */
  invocations: Record<string, number>;
  /** Handler instances loaded (cold starts), by function short name. */
  coldStarts: Record<string, number>;
  /** The most messages one invocation of a queue's function got, by function short name. */
  largestQueueBatch: Record<string, number>;
  drainSeconds: number;
  schedules: { driven: string[]; notDriven: string[] };
  executions: number;
}

export interface WarmStack extends WarmStackEndpoints {
  info(): WarmStackInfo;
  /** Runs a function of the stack as an invocation through Invoke would. */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  close(): Promise<void>;
}

const count = (into: Record<string, number>, key: string, n = 1) => (into[key] = (into[key] ?? 0) + n);

export async function startWarmStack(stack: LocalStack, options: WarmStackOptions = {}): Promise<WarmStack> {
  const fns = await packagedFunctions(stackPackaging(stack, options.packaging));
  const region = (stack as { region?: string }).region ?? "eu-west-1";
  const onError =
    options.onError ??
    ((what: string, err: unknown) =>
      process.stderr.write(`lethe warm stack: ${what} failed: ${(err as Error)?.message ?? err}\n`));
  const invocations: Record<string, number> = {};
  const coldStarts: Record<string, number> = {};
  const largestQueueBatch: Record<string, number> = {};
  let drainSeconds = options.drainSeconds ?? 10;
  let closed = false;
  const startedAt = new Date().toISOString();
  const endpoints = { lambda: "", sfn: "" };
  // The embedded find engine's copies hold ID columns as they were before the purge: this stack's own
  // folder (never another stack's), emptied whenever no execution runs and when the stack stops, so
  // no copy of a raw ID outlives the batches that needed it.
  const findCacheDir = path.join(
    defaultFindCacheDir(),
    `${stack.stack}-warm-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, "_"),
  );
  let executionsRunning = 0;
  const dropFindCache = () => fs.rmSync(findCacheDir, { recursive: true, force: true });

  // Each function as Lambda runs it: its package, the program's environment for it made local, and
  // this stack's endpoints for the Lambda and Step Functions calls it makes.
  const load = (fn: PackagedFunction): PackagedHandler => {
    count(coldStarts, fn.shortName);
    const env = batchFunctionEnvironment(fn, stack, {
      findCacheDir,
      env: { AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda, AWS_ENDPOINT_URL_SFN: endpoints.sfn },
    });
    if (options.functionLogLevel) env.POWERTOOLS_LOG_LEVEL = options.functionLogLevel;
    // The deployed API's URL means nothing here: the API's document is served without `servers`.
    delete env[envNames.apiBaseUrl];
    return loadPackagedHandler(fn, env);
  };
  const warm = new Map<string, PackagedHandler>();
  const warmHandler = (fn: PackagedFunction) => {
    let h = warm.get(fn.shortName);
    if (!h) warm.set(fn.shortName, (h = load(fn)));
    return h;
  };
  const named = (name: string) => {
    const fn = functionNamed(name, fns, stack);
    if (!fn)
      throw Object.assign(new Error(`Function not found: ${name}`), { name: "ResourceNotFoundException" });
    return fn;
  };
  const invoke = async (name: string, event: unknown) => {
    const fn = named(name);
    count(invocations, fn.shortName);
    // What goes over the wire is JSON: a reply carrying a Date or undefined reads as deployed.
    return JSON.parse(JSON.stringify((await warmHandler(fn)(event)) ?? null));
  };

  const handlers = Object.fromEntries(
    fns.flatMap((fn) =>
      [
        fn.functionName,
        stack.localResources?.[fn.functionName],
        (stack as unknown as Record<string, unknown>)[fn.outputKey],
      ]
        .filter((n): n is string => typeof n === "string" && n !== "")
        .map((n) => [n, (event: unknown) => invoke(fn.functionName, event)]),
    ),
  );
  const lambda = await serveLocalLambda(handlers);
  endpoints.lambda = lambda.endpoint;

  const info = (): WarmStackInfo => ({
    stack: stack.stack,
    endpoint: stack.endpoint,
    pid: process.pid,
    startedAt,
    invocations: { ...invocations },
    coldStarts: { ...coldStarts },
    largestQueueBatch: { ...largestQueueBatch },
    drainSeconds,
    schedules: {
      driven: scheduleRunner?.driven.map((d) => `${d.rule} every ${d.everySeconds} s`) ?? [],
      notDriven: scheduleRunner?.notDriven.map((d) => `${d.rule} (${d.why})`) ?? [],
    },
    executions: sfn.executions.size,
  });
  const sfn = await serveStepFunctionsApi({
    start: async (input) => {
      executionsRunning++;
      const ended = () => {
        if (--executionsRunning === 0) dropFindCache();
      };
      const execution = await startLocalBatch(stack, input as { batchId: string; deadline: string }, {
        drainSeconds,
        packaging: options.packaging,
        loadHandler: (fn) => (event) => (count(invocations, fn.shortName), warmHandler(fn)(event)),
        // This stack drains the queues whether an execution runs or not.
        drainQueues: false,
        taskTokenSent: (token, signal) => sfn.taskTokenSent(token, signal),
      }).catch((err) => {
        ended();
        throw err;
      });
      return { ...execution, result: execution.result.finally(ended) };
    },
    info,
    settings: (values) => {
      if (values.drainSeconds !== undefined) {
        const n = Number(values.drainSeconds);
        if (!Number.isInteger(n) || n < 0) throw new Error("drainSeconds must be a whole number of seconds");
        drainSeconds = n;
      }
    },
  });
  endpoints.sfn = sfn.endpoint;

  // The event source mappings: a queue's function gets up to its declared batch per invocation.
  const queues = drainStackQueues(
    stack,
    fns,
    (fn) => {
      const handler = load(fn);
      return (event: { Records: unknown[] }, context: Record<string, unknown>) => {
        count(invocations, fn.shortName);
        largestQueueBatch[fn.shortName] = Math.max(
          largestQueueBatch[fn.shortName] ?? 0,
          event.Records.length,
        );
        return handler(event, context);
      };
    },
    { purgeConcurrency: options.purgeConcurrency, stop: () => closed },
  );

  const scheduleRunner = startSchedules(stack.schedules ?? [], options.schedules ?? "off", invoke, {
    region,
    fastSeconds: options.fastScheduleSeconds,
    onError: (rule, err) => onError(`schedule ${rule}`, err),
  });
  const notifications =
    options.bucketNotifications === false
      ? undefined
      : watchBucketNotifications(stack.bucketNotifications ?? [], invoke, {
          region,
          pollMs: options.bucketPollMs,
          onError: (err) => onError("an S3 notification", err),
        });

  if (options.preload) {
    // One function per turn of the event loop: calls arriving meanwhile are served in between.
    const pending = [...fns];
    const next = () => {
      const fn = pending.shift();
      if (!fn || closed) return;
      try {
        warmHandler(fn);
      } catch (err) {
        onError(`loading ${fn.shortName}`, err);
      }
      setImmediate(next);
    };
    setImmediate(next);
  }

  return {
    lambdaEndpoint: lambda.endpoint,
    stepFunctionsEndpoint: sfn.endpoint,
    pid: process.pid,
    info,
    invoke,
    close: async () => {
      closed = true;
      scheduleRunner.stop();
      await notifications?.stop();
      await sfn.close();
      await lambda.close();
      await Promise.all(queues);
      dropFindCache();
    },
  };
}
