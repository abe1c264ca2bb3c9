// One Athena query from start to its last page: start (parameterised), poll until it ends, read every
// page of results (NextToken), record the bytes it scanned. Throttling is retried with backoff; a
// query the workgroup's bytes-scanned cutoff cancelled is a FindQueryError with `cutoff` set, never a
// partial answer.
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { FindQueryError } from "./finder";

export interface AthenaSettings {
  workGroup: string;
  /** Database the query runs in (tables are named in full anyway). */
  database?: string;
  catalog?: string;
  /** First poll interval; doubles up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
  /** The query is stopped and reported as failed after this long. */
  timeoutMs?: number;
  /** Attempts of a throttled call before giving up. */
  throttleAttempts?: number;
}

export interface AthenaAnswer {
  queryExecutionId: string;
  /** Data rows (the header row Athena puts first is dropped), each cell as text. */
  rows: (string | undefined)[][];
  bytesScanned: number;
}

const throttled = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
]);

function isThrottle(e: unknown): boolean {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return (
    throttled.has(err?.name ?? "") ||
    err?.$metadata?.httpStatusCode === 429 ||
    /rate exceeded|throttl|too many/i.test(err?.message ?? "")
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `call`, retrying throttled attempts with exponential backoff and jitter. */
export async function withThrottleRetry<T>(call: () => Promise<T>, attempts = 6, baseMs = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!isThrottle(e) || attempt >= attempts) throw e;
      await sleep(baseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
    }
  }
}

/** Athena's reason when the workgroup's BytesScannedCutoffPerQuery stops a query. */
export function isCutoff(reason: string | undefined): boolean {
  return /bytes scanned limit|scanned.*cutoff|data limit.*exceeded/i.test(reason ?? "");
}

export async function runAthenaQuery(
  athena: AthenaClient,
  mapper: string,
  sql: string,
  parameters: string[],
  settings: AthenaSettings,
): Promise<AthenaAnswer> {
  const attempts = settings.throttleAttempts ?? 6;
  const started = await withThrottleRetry(
    () =>
      athena.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          ExecutionParameters: parameters.length > 0 ? parameters : undefined,
          WorkGroup: settings.workGroup,
          QueryExecutionContext: settings.database
            ? { Database: settings.database, Catalog: settings.catalog ?? "AwsDataCatalog" }
            : undefined,
        }),
      ),
    attempts,
  );
  const id = started.QueryExecutionId!;
  const execution = await waitForQuery(athena, mapper, id, settings);
  const bytesScanned = execution.Statistics?.DataScannedInBytes ?? 0;
  const state = execution.Status?.State;
  if (state !== "SUCCEEDED") {
    const reason =
      execution.Status?.StateChangeReason ?? execution.Status?.AthenaError?.ErrorMessage ?? "no reason given";
    if (isCutoff(reason)) {
      throw new FindQueryError(
        mapper,
        `Athena query ${id} was cancelled by the workgroup's bytes-scanned cutoff after ${bytesScanned} bytes (${reason}); ` +
          "raise lethe:athenaBytesScannedCutoff or add partitionColumns to prune on",
        true,
      );
    }
    throw new FindQueryError(mapper, `Athena query ${id} ${String(state).toLowerCase()}: ${reason}`);
  }
  const rows: (string | undefined)[][] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await withThrottleRetry(
      () =>
        athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 })),
      attempts,
    );
    const pageRows = page.ResultSet?.Rows ?? [];
    // SELECT results start with a header row naming the columns, on the first page only.
    pageRows.slice(first ? 1 : 0).forEach((r) => rows.push((r.Data ?? []).map((d) => d.VarCharValue)));
    first = false;
    token = page.NextToken;
  } while (token);
  return { queryExecutionId: id, rows, bytesScanned };
}

async function waitForQuery(
  athena: AthenaClient,
  mapper: string,
  id: string,
  settings: AthenaSettings,
): Promise<QueryExecution> {
  const deadline = Date.now() + (settings.timeoutMs ?? 10 * 60_000);
  let wait = settings.pollMs ?? 500;
  for (;;) {
    const { QueryExecution: q } = await withThrottleRetry(
      () => athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      settings.throttleAttempts ?? 6,
    );
    const state = q?.Status?.State;
    if (state === "SUCCEEDED" || state === "FAILED" || state === "CANCELLED") return q!;
    if (Date.now() > deadline) {
      await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
      throw new FindQueryError(
        mapper,
        `Athena query ${id} did not finish within ${settings.timeoutMs ?? 600_000} ms; stopped`,
      );
    }
    await sleep(wait);
    wait = Math.min(wait * 2, settings.maxPollMs ?? 5000);
  }
}
