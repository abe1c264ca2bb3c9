// What moto's Athena does not do by itself, layered on a real SDK client that talks to it: pages of
// results (NextToken), queries that fail or hit the workgroup's cutoff, bytes scanned, throttling.
// Every call still goes to the emulator; the layer rewrites answers or refuses calls first.
import { AthenaClient } from "@aws-sdk/client-athena";
import { QueryExecution, ResultSet } from "@aws-sdk/client-athena";

export interface AthenaCalls {
  /** Commands sent, by name, in order (including refused ones). */
  sent: string[];
  /** Inputs of every StartQueryExecution. */
  started: { QueryString?: string; ExecutionParameters?: string[] }[];
}

export interface AthenaEmulation {
  /** Split results into pages of this many rows. */
  pageSize?: number;
  /** Merged into every GetQueryExecution answer's QueryExecution. */
  execution?: (q: QueryExecution) => QueryExecution;
  /** Refuse the first N calls of a command with a ThrottlingException. */
  throttle?: { command: string; times: number };
}

export function emulate(client: AthenaClient, e: AthenaEmulation): AthenaCalls {
  const calls: AthenaCalls = { sent: [], started: [] };
  let throttled = 0;
  client.middlewareStack.add(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (next, context) => async (args: any) => {
      const name = String(context.commandName).replace(/Command$/, "");
      calls.sent.push(name);
      if (name === "StartQueryExecution") calls.started.push({ ...args.input });
      if (e.throttle && e.throttle.command === name && throttled < e.throttle.times) {
        throttled++;
        throw Object.assign(new Error("Rate exceeded"), {
          name: "ThrottlingException",
          $metadata: { httpStatusCode: 400 },
        });
      }
      if (name === "GetQueryResults" && e.pageSize) {
        const offset = Number(args.input.NextToken ?? 0);
        const { NextToken: _ignored, ...rest } = args.input;
        const result = await next({ ...args, input: rest });
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const output = result.output as any;
        const set = output.ResultSet as ResultSet;
        const rows = set.Rows ?? [];
        const end = offset + e.pageSize;
        output.ResultSet = { ...set, Rows: rows.slice(offset, end) };
        output.NextToken = end < rows.length ? String(end) : undefined;
        return result;
      }
      const result = await next(args);
      if (name === "GetQueryExecution" && e.execution) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const output = result.output as any;
        output.QueryExecution = e.execution(output.QueryExecution);
      }
      return result;
    },
    { step: "initialize", name: "letheAthenaEmulation" },
  );
  return calls;
}

/** Queues the rows moto answers the next query with (a header row first, as Athena sends). */
export async function queueAthenaRows(header: string, values: string[]): Promise<void> {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error("AWS_ENDPOINT_URL is not set");
  const rows = [header, ...values].map((v) => ({ Data: [{ VarCharValue: v }] }));
  const res = await fetch(`${endpoint}/moto-api/static/athena/query-results`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      region: process.env.AWS_REGION ?? "eu-west-1",
      results: [{ rows, column_info: [{ Name: header, Type: "varchar", Label: header }] }],
    }),
  });
  if (res.status !== 201) throw new Error(`moto refused the Athena results: ${res.status}`);
}

/** Makes moto's query executions stay QUEUED/RUNNING for `times` polls each (undefined: immediate). */
export async function athenaPollsBeforeDone(times?: number): Promise<void> {
  const endpoint = process.env.AWS_ENDPOINT_URL!;
  const path = times === undefined ? "unset-transition" : "set-transition";
  const res = await fetch(`${endpoint}/moto-api/state-manager/${path}`, {
    method: "POST",
    body: JSON.stringify({
      model_name: "athena::execution",
      ...(times === undefined ? {} : { transition: { progression: "manual", times } }),
    }),
  });
  if (res.status >= 300) throw new Error(`moto refused the state transition: ${res.status}`);
}
