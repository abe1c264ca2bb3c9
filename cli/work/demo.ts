// `lethe demo`: the whole job on a local stack, the way a deployed one runs it. `lethe up --local`
// (the program's own declarations), a sample lake written through the ingest path (records through
// the packaged ingest guard into `dt=` GZIP Parquet), an erasure filed and run through the state
// machine (`lethe erase --wait`), its report, then the same customers' new records sent again, which
// the guard must drop. The demo leaves nothing behind: an emulator it started is stopped; in one it
// was given (AWS_ENDPOINT_URL), it removes the stack it made (`lethe down --local`), and it refuses
// to run where the stack is already up, since it would mix its data with that stack's and then remove it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeTableCommand, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { makeDynamoDbClient, makeS3Client } from "../../runtime/aws/clients";
import { envNames } from "../../runtime/contracts/env";
import { UsageError } from "../../runtime/contracts/errors";
import type { ErasureReport } from "../../runtime/contracts/report";
import type { SampleObject } from "../../runtime/contracts/stack";
import type { LocalEmulator } from "../../local/emulator";
import { erase, EraseResult } from "./erasureCommands";
import { batchFunctionEnvironment } from "../../local/erasure";
import { deliverThroughGuard } from "../../local/firehose";
import { downLocal, programDeclarations, upLocal } from "../../local/stack";
import { loadPackagedHandler, packagedFunction } from "../../local/program/packaging";
import { fetchReport } from "./reports";
import { sampleEvents } from "../../local/fixtures/sampleLake";

export interface DemoOptions {
  /** The customers to erase (they must be among the sample lake's). */
  subjects: string[];
  /** Customers in the sample lake: cust-0000, cust-0001, ... */
  customers: number;
  objectsPerDay: number;
  rowsPerObject: number;
  /** The lake's `dt=` days (default: the two days before today). */
  days?: string[];
}

export interface DemoProgress {
  /** The demo is at `step`, `done` of `total` when counted. */
  step(step: string, done?: number, total?: number, text?: string): void;
  /** A line about what happened. */
  line(text: string): void;
}

export interface DemoResult {
  /** COMPLETED, and no new record of an erased customer got into the lake. */
  ok: boolean;
  state: string;
  endpoint: string;
  /** `started`: the demo ran its own emulator; `given`: the one AWS_ENDPOINT_URL named. */
  emulator: "started" | "given";
  stack: { name: string; resources: number; seconds: number };
  lake: { objects: number; rows: number; customers: number; recordsDropped: number; recordsFailed: number };
  erasure: EraseResult;
  report?: ErasureReport;
  /** New records of the erased customers (mixed with others') sent through the ingest path afterwards. */
  reingest: { records: number; ofErasedCustomers: number; dropped: number; reachedLake: number };
  seconds: number;
}

/** The ingest guard reads the filter pointer this often (seconds) in the demo, so a new generation shows at once. */
const guardRefreshSeconds = 1;

const customerId = (i: number) => `cust-${String(i).padStart(4, "0")}`;

function daysBefore(today: Date, n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    new Date(today.getTime() - (n - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

export function checkDemoOptions(o: DemoOptions): void {
  if (o.subjects.length === 0) throw new UsageError("demo: give at least one customer ID to erase");
  const known = new Set(Array.from({ length: o.customers }, (_, i) => customerId(i)));
  const unknown = o.subjects.filter((s) => !known.has(s));
  if (unknown.length > 0)
    throw new UsageError(
      `demo: ${unknown.join(", ")} not among the sample lake's customers (${customerId(0)} to ${customerId(o.customers - 1)})`,
    );
}

/** Refuses an emulator where the stack the demo would make is already up. */
async function refuseExistingStack(endpoint: string, requestsTable: string): Promise<void> {
  try {
    await makeDynamoDbClient().send(new DescribeTableCommand({ TableName: requestsTable }));
  } catch (err) {
    if (err instanceof ResourceNotFoundException || (err as Error).name === "ResourceNotFoundException")
      return;
    throw err;
  }
  throw new UsageError(
    `demo: a Lethe stack is already up in ${endpoint} (table ${requestsTable} exists); the demo removes what ` +
      `it makes, so it runs only where the stack is not: unset AWS_ENDPOINT_URL to let it start its own ` +
      `emulator, or run 'lethe down --local' first`,
  );
}

export async function runDemo(o: DemoOptions, progress: DemoProgress): Promise<DemoResult> {
  checkDemoOptions(o);
  const started = Date.now();
  const given = process.env.AWS_ENDPOINT_URL;
  if (given) await refuseExistingStack(given, String((await programDeclarations()).exports.requestsTable));
  else progress.line("starting the local AWS emulator");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-demo-"));
  const outputsFile = path.join(dir, "local.json");
  let emulator: LocalEmulator | undefined;
  try {
    // `lethe up --local`: into the given emulator, or into one it starts (stopped below).
    const up = await upLocal({
      outputs: outputsFile,
      onResource: (done, total, resource) => progress.step("up --local", done, total, resource),
    });
    const { stack, summary } = up;
    emulator = up.emulator;
    const resources = Object.values(summary.provisioned).reduce((a, n) => a + n, 0);
    progress.line(
      `stack ${stack.stack} up in ${stack.endpoint}: ${resources} resources in ${summary.seconds.toFixed(1)} s`,
    );
    try {
      const s3 = makeS3Client();
      const guardFn = await packagedFunction("ingest-guard");
      const guard = loadPackagedHandler(
        guardFn,
        batchFunctionEnvironment(guardFn, stack, {
          env: { [envNames.refreshSeconds]: String(guardRefreshSeconds) },
        }),
      );

      // The sample lake, through the ingest path.
      const customers = Array.from({ length: o.customers }, (_, i) => customerId(i));
      const days = o.days ?? daysBefore(new Date(), 2);
      const objects: SampleObject[] = [];
      const lake = { objects: 0, rows: 0, customers: o.customers, recordsDropped: 0, recordsFailed: 0 };
      const total = days.length * o.objectsPerDay;
      let seed = 1;
      for (const day of days) {
        for (let part = 0; part < o.objectsPerDay; part++) {
          progress.step("ingest", objects.length, total, `dt=${day}`);
          const delivery = await deliverThroughGuard(sampleEvents(customers, o.rowsPerObject, day, seed++), {
            transform: guard,
            s3,
            bucket: stack.lakeBucket,
            day,
            name: `lethe-demo-${part}`,
            rowGroupRows: Math.max(1, Math.ceil(o.rowsPerObject / 4)),
          });
          if (delivery.object) objects.push(delivery.object);
          lake.recordsDropped += delivery.dropped;
          lake.recordsFailed += delivery.failed;
        }
      }
      progress.step("ingest", objects.length, total, "done");
      lake.objects = objects.length;
      lake.rows = objects.reduce((n, x) => n + x.rows, 0);
      progress.line(
        `lake s3://${stack.lakeBucket}/ holds ${lake.objects} GZIP Parquet objects, ${lake.rows} rows of ` +
          `${o.customers} customers, written through the ingest guard`,
      );

      // The erasure, through the state machine.
      const erasure = await erase(
        { ids: o.subjects, reason: "lethe demo", requestedBy: "lethe demo", wait: true },
        // Nothing else writes to the demo's lake meanwhile: no in-flight deliveries to wait for.
        {
          stackOutputsFile: outputsFile,
          drainSeconds: 0,
          progress: (line) => progress.line(`erase: ${line}`),
          onStep: (s) => progress.step(`erase ${s.step}`, s.done, s.total, s.text),
        },
      );
      const state = String(erasure.status?.state ?? erasure.request.status);
      const report = erasure.status?.report
        ? await fetchReport(erasure.request.requestId, { stackOutputs: outputsFile })
        : undefined;

      // The erased customers' new records, mixed with others', go through the ingest path again.
      await new Promise((r) => setTimeout(r, guardRefreshSeconds * 1000 + 200));
      const today = new Date().toISOString().slice(0, 10);
      const others = customers.filter((c) => !o.subjects.includes(c)).slice(0, 3);
      const fresh = sampleEvents([...o.subjects, ...others], 200, today, seed++);
      const ofErased = fresh.filter((e) => o.subjects.includes(e.customer_id)).length;
      progress.step("re-ingest", 0, fresh.length, `dt=${today}`);
      const again = await deliverThroughGuard(fresh, {
        transform: guard,
        s3,
        bucket: stack.lakeBucket,
        day: today,
        name: "lethe-demo-after-erasure",
        rowGroupRows: 100,
      });
      progress.step("re-ingest", fresh.length, fresh.length, "done");
      const reachedLake = o.subjects.reduce((n, id) => n + (again.object?.rowsByCustomer.get(id) ?? 0), 0);
      const reingest = {
        records: fresh.length,
        ofErasedCustomers: ofErased,
        dropped: again.dropped,
        reachedLake,
      };
      return {
        ok: state === "COMPLETED" && reachedLake === 0,
        state,
        endpoint: stack.endpoint,
        emulator: emulator ? "started" : "given",
        stack: { name: stack.stack, resources, seconds: summary.seconds },
        lake,
        erasure,
        ...(report ? { report } : {}),
        reingest,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      if (!emulator) {
        const removed = await downLocal({ outputs: outputsFile });
        progress.line(
          `removed the demo's stack from ${removed.endpoint}: ${Object.values(removed.removed).reduce((a, n) => a + n, 0)} resources`,
        );
      }
    }
  } finally {
    await emulator?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
