// The Step Functions API of a warm local stack (JSON 1.0 over HTTP on loopback): StartExecution,
// DescribeExecution, StopExecution, SendTaskSuccess and SendTaskFailure, answered from executions
// run in this process. The emulator holds the state machine but runs nothing; the batch function (its
// AWS_ENDPOINT_URL_SFN naming this server) and the CLI (its SFN client) call this one as they call
// Step Functions deployed. `GET /lethe/warm` tells a command what serves here (local/connect.ts).
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** An execution this server started: its result settles when it ends; abort stops it. */
export interface RunningExecution {
  result: Promise<unknown>;
  abort(): void;
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
}

export interface StepFunctionsApiOptions {
  /** Starts the execution (it must not wait for its end). */
  start(input: unknown, executionArn: string): Promise<RunningExecution>;
  /** What `GET /lethe/warm` answers. */
  info(): unknown;
  /** `POST /lethe/settings`: settings for executions started afterwards (the CLI's --drain-seconds). */
  settings(values: Record<string, unknown>): void;
}

export interface StepFunctionsApi {
  endpoint: string;
  executions: Map<string, ExecutionRecord>;
  /** Resolves with the output SendTaskSuccess sends for `token` (rejects on SendTaskFailure or abort). */
  taskTokenSent(token: string, signal: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const seconds = () => Date.now() / 1000;

export async function serveStepFunctionsApi(options: StepFunctionsApiOptions): Promise<StepFunctionsApi> {
  const executions = new Map<string, ExecutionRecord>();
  const running = new Map<string, RunningExecution>();
  const tokens = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();

  const operations: Record<string, (body: Record<string, string>) => Promise<unknown> | unknown> = {
    async StartExecution(body) {
      const stateMachineArn = body.stateMachineArn ?? "";
      if (!stateMachineArn.includes(":stateMachine:"))
        throw new ApiError("InvalidArn", `not a state machine ARN: ${stateMachineArn}`);
      const name = body.name || String(executions.size + 1);
      const input = body.input ?? "{}";
      const executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
      const known = executions.get(executionArn);
      // As Step Functions: the same name and input again is the same execution; other input is refused.
      if (known) {
        if (known.input !== input)
          throw new ApiError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
        return { executionArn, startDate: known.startDate };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        throw new ApiError("InvalidExecutionInput", "the execution input is not JSON");
      }
      const record: ExecutionRecord = {
        executionArn,
        stateMachineArn,
        name,
        input,
        status: "RUNNING",
        startDate: seconds(),
      };
      const execution = await options.start(parsed, executionArn);
      executions.set(executionArn, record);
      running.set(executionArn, execution);
      execution.result.then(
        (output) => {
          if (record.status === "RUNNING")
            Object.assign(record, { status: "SUCCEEDED", output: JSON.stringify(output ?? null) });
        },
        (err: Error) => {
          if (record.status === "RUNNING")
            Object.assign(record, { status: "FAILED", error: err?.name ?? "Error", cause: err?.message });
        },
      );
      execution.result
        .catch(() => undefined)
        .finally(() => {
          record.stopDate ??= seconds();
          running.delete(executionArn);
        });
      return { executionArn, startDate: record.startDate };
    },
    DescribeExecution(body) {
      const record = executions.get(body.executionArn ?? "");
      if (!record)
        throw new ApiError("ExecutionDoesNotExist", `Execution Does Not Exist: '${body.executionArn}'`);
      return record;
    },
    StopExecution(body) {
      const record = executions.get(body.executionArn ?? "");
      if (!record)
        throw new ApiError("ExecutionDoesNotExist", `Execution Does Not Exist: '${body.executionArn}'`);
      if (record.status === "RUNNING") {
        Object.assign(record, {
          status: "ABORTED",
          stopDate: seconds(),
          error: body.error,
          cause: body.cause,
        });
        running.get(record.executionArn)?.abort();
      }
      return { stopDate: record.stopDate };
    },
    SendTaskSuccess(body) {
      const waiter = tokens.get(body.taskToken ?? "");
      if (!waiter) throw new ApiError("TaskDoesNotExist", "Task Does Not Exist");
      let output: unknown;
      try {
        output = JSON.parse(body.output ?? "null");
      } catch {
        throw new ApiError("InvalidOutput", "the task output is not JSON");
      }
      waiter.resolve(output);
      return {};
    },
    SendTaskFailure(body) {
      const waiter = tokens.get(body.taskToken ?? "");
      if (!waiter) throw new ApiError("TaskDoesNotExist", "Task Does Not Exist");
      waiter.reject(Object.assign(new Error(body.cause ?? ""), { name: body.error ?? "TaskFailed" }));
      return {};
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown, type = "application/x-amz-json-1.0") => {
        res.writeHead(status, { "content-type": type });
        res.end(JSON.stringify(body));
      };
      const text = Buffer.concat(chunks).toString("utf8");
      if (req.url === "/lethe/warm" && req.method === "GET")
        return reply(200, options.info(), "application/json");
      if (req.url === "/lethe/settings" && req.method === "POST") {
        try {
          options.settings(JSON.parse(text));
          return reply(200, options.info(), "application/json");
        } catch (err) {
          return reply(400, { message: (err as Error).message }, "application/json");
        }
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.startsWith("AWSStepFunctions.") ? operations[target.slice(17)] : undefined;
      if (!operation) {
        reply(400, {
          __type: "UnknownOperationException",
          message: `${target || req.url} is not served locally`,
        });
        return;
      }
      let body: Record<string, string>;
      try {
        body = text === "" ? {} : JSON.parse(text);
      } catch {
        reply(400, { __type: "SerializationException", message: "the request is not JSON" });
        return;
      }
      Promise.resolve()
        .then(() => operation(body))
        .then(
          (out) => reply(200, out),
          (err: Error) =>
            reply(400, {
              __type: err instanceof ApiError ? err.type : (err?.name ?? "InternalError"),
              message: err?.message ?? String(err),
            }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    executions,
    taskTokenSent: (token, signal) =>
      new Promise((resolve, reject) => {
        const done = () => tokens.delete(token);
        tokens.set(token, {
          resolve: (v) => (done(), resolve(v)),
          reject: (e) => (done(), reject(e)),
        });
        // An execution that ended no longer waits: the token is gone; the promise is left unsettled.
        signal.addEventListener("abort", done, { once: true });
      }),
    close: async () => {
      for (const execution of running.values()) execution.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
