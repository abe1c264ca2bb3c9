// A small synthetic lake in the shape Firehose writes (GZIP Parquet under events/dt=YYYY-MM-DD/,
// several row groups), so the pipeline has something real to find and forget.
import { Table, TimestampMillisecond, Utf8, tableToIPC, vectorFromArray } from "apache-arrow";
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from "parquet-wasm";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { SampleObject } from "../runtime/contracts/stack";
export type { SampleObject } from "../runtime/contracts/stack";

export interface SampleLakeOptions {
  days: string[];
  objectsPerDay: number;
  rowsPerObject: number;
  rowGroupRows: number;
  customers: string[];
  /** Part of every object key, so runs into the same (long-lived) bucket never overwrite each other's objects. */
  runId?: string;
}

/** Deterministic pseudo-random numbers, so every demo run builds the same lake. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One event as producers send it to Firehose (and as the lake's Parquet holds it). */
export interface SampleEvent {
  customer_id: string;
  /** Epoch milliseconds. */
  event_time: number;
  event_type: string;
  payload: string;
}

/** `rows` events on `day` from customers picked at random (seeded: the same every run). */
export function sampleEvents(customers: string[], rows: number, day: string, seed: number): SampleEvent[] {
  const rnd = lcg(seed);
  const start = Date.parse(`${day}T00:00:00Z`);
  return Array.from({ length: rows }, () => ({
    customer_id: customers[Math.floor(rnd() * customers.length)],
    event_time: start + Math.floor(rnd() * 86_400_000),
    event_type: ["page_view", "purchase", "login", "search"][Math.floor(rnd() * 4)],
    payload: JSON.stringify({
      session: Math.floor(rnd() * 1e9).toString(16),
      value: Math.floor(rnd() * 1000),
    }),
  }));
}

/** Rows per customer, as a lake object's expected contents. */
export function rowsByCustomerOf(events: SampleEvent[]): Map<string, number> {
  const rows = new Map<string, number>();
  for (const e of events) rows.set(e.customer_id, (rows.get(e.customer_id) ?? 0) + 1);
  return rows;
}

/** Events as Firehose's Parquet conversion writes them: GZIP, row groups of `rowGroupRows`. */
export function eventsToParquet(events: SampleEvent[], rowGroupRows: number): Uint8Array {
  const table = new Table({
    customer_id: vectorFromArray(
      events.map((e) => e.customer_id),
      new Utf8(),
    ),
    event_time: vectorFromArray(
      events.map((e) => e.event_time),
      new TimestampMillisecond(),
    ),
    event_type: vectorFromArray(
      events.map((e) => e.event_type),
      new Utf8(),
    ),
    payload: vectorFromArray(
      events.map((e) => e.payload),
      new Utf8(),
    ),
  });
  const props = new WriterPropertiesBuilder()
    .setCompression(Compression.GZIP)
    .setMaxRowGroupSize(rowGroupRows)
    .build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), props);
}

export function sampleParquet(
  customers: string[],
  rows: number,
  rowGroupRows: number,
  day: string,
  seed: number,
): { bytes: Uint8Array; rowsByCustomer: Map<string, number> } {
  const events = sampleEvents(customers, rows, day, seed);
  return { bytes: eventsToParquet(events, rowGroupRows), rowsByCustomer: rowsByCustomerOf(events) };
}

export async function writeSampleLake(
  s3: S3Client,
  bucket: string,
  o: SampleLakeOptions,
): Promise<SampleObject[]> {
  const objects: SampleObject[] = [];
  let seed = 1;
  for (const day of o.days) {
    for (let part = 0; part < o.objectsPerDay; part++) {
      const { bytes, rowsByCustomer } = sampleParquet(
        o.customers,
        o.rowsPerObject,
        o.rowGroupRows,
        day,
        seed++,
      );
      const key = `events/dt=${day}/lethe-demo-${o.runId ? `${o.runId}-` : ""}${part}.parquet`;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          ContentType: "application/vnd.apache.parquet",
          Metadata: { producer: "lethe-demo" },
          Tagging: "source=demo",
        }),
      );
      objects.push({ key, rows: o.rowsPerObject, rowsByCustomer });
    }
  }
  return objects;
}
