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

export function sampleParquet(
  customers: string[],
  rows: number,
  rowGroupRows: number,
  day: string,
  seed: number,
): { bytes: Uint8Array; rowsByCustomer: Map<string, number> } {
  const rnd = lcg(seed);
  const ids: string[] = [];
  const times: number[] = [];
  const types: string[] = [];
  const payloads: string[] = [];
  const rowsByCustomer = new Map<string, number>();
  const start = Date.parse(`${day}T00:00:00Z`);
  for (let i = 0; i < rows; i++) {
    const id = customers[Math.floor(rnd() * customers.length)];
    rowsByCustomer.set(id, (rowsByCustomer.get(id) ?? 0) + 1);
    ids.push(id);
    times.push(start + Math.floor(rnd() * 86_400_000));
    types.push(["page_view", "purchase", "login", "search"][Math.floor(rnd() * 4)]);
    payloads.push(
      JSON.stringify({ session: Math.floor(rnd() * 1e9).toString(16), value: Math.floor(rnd() * 1000) }),
    );
  }
  const table = new Table({
    customer_id: vectorFromArray(ids, new Utf8()),
    event_time: vectorFromArray(times, new TimestampMillisecond()),
    event_type: vectorFromArray(types, new Utf8()),
    payload: vectorFromArray(payloads, new Utf8()),
  });
  const props = new WriterPropertiesBuilder()
    .setCompression(Compression.GZIP)
    .setMaxRowGroupSize(rowGroupRows)
    .build();
  const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), props);
  return { bytes, rowsByCustomer };
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
