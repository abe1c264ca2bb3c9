// `lethe lake load`: data into a data mapper's location in a local stack, partitioned as the mapper
// declares. Records from files (Parquet, JSON Lines, either gzipped) or a generated sample lake go
// through the ingest path as the demo sends them (the packaged ingest guard's Firehose transform, then
// one GZIP Parquet object per `dt=` day: local/firehose.ts), which only Lethe's own events table
// is fed by; or straight in (`--direct`), in the mapper's format (CSV and TSV: cli/work/csvRecords.ts),
// one object per partition.
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { tableFromIPC } from "apache-arrow";
import { readParquet } from "parquet-wasm";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { makeS3Client } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import { eventsTable } from "../../runtime/contracts/lakeSchema";
import { DataMapper, parseS3Location } from "../../runtime/contracts/mappers";
import type { LocalStack } from "../../runtime/contracts/stack";
import { batchFunctionEnvironment } from "../../local/erasure";
import { deliverThroughGuard } from "../../local/firehose";
import { loadPackagedHandler, packagedFunction } from "../../local/program/packaging";
import { eventsToParquet, SampleEvent, sampleEvents } from "../../local/fixtures/sampleLake";
import { csvObjectText } from "./csvRecords";

export interface LakeLoadOptions {
  /** The mapper's name (default: the stack's only mapper, else `events`). */
  mapper?: string;
  files?: string[];
  sample?: { customers: number; days: number };
  /** Straight into the mapper's location, not through the ingest guard. */
  direct?: boolean;
  /** Part of every object's name (default: the time), so loads never overwrite each other. */
  name?: string;
  /** Today, for the sample's days (the days before it). */
  now?: Date;
}

export interface LoadedObject {
  key: string;
  rows: number;
  bytes: number;
  /** `dt=2026-12-01` (the partition path, empty when the mapper declares none). */
  partition: string;
}

export interface LakeLoadResult {
  mapper: string;
  location: string;
  path: "ingest" | "direct";
  recordsIn: number;
  objects: LoadedObject[];
  /** Through the ingest path: records the guard dropped (opted out) or could not process. */
  dropped: number;
  failed: number;
}

type LakeRecord = Record<string, unknown>;

/** The mapper `name` of the stack, or its only one (else Lethe's own events table). */
export function mapperOf(stack: LocalStack, name: string | undefined): DataMapper {
  const mappers = stack.dataMappers ?? [];
  const wanted = name ?? (mappers.length === 1 ? mappers[0].name : eventsTable.name);
  const m = mappers.find((x) => x.name === wanted);
  if (!m)
    throw new UsageError(
      `lake load: no data mapper '${wanted}' in the stack (it has ${mappers.map((x) => x.name).join(", ") || "none"})`,
    );
  return m;
}

/** JSON values of a Parquet row as JSON Lines would hold them (64-bit integers as numbers, times as epoch ms). */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.getTime();
  if (v && typeof v === "object" && "toJSON" in v) return (v as { toJSON(): unknown }).toJSON();
  return v;
}

/** The records of one file: `.parquet`, `.jsonl` / `.json` / `.ndjson`, each optionally `.gz`. */
export function readRecords(file: string): LakeRecord[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`lake load: cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  const name = file.toLowerCase().replace(/\.gz$/, "");
  if (file.toLowerCase().endsWith(".gz")) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw new UsageError(`lake load: ${file} is named .gz but is not gzip`);
    }
  }
  if (name.endsWith(".parquet")) {
    let table;
    try {
      table = tableFromIPC(readParquet(bytes).intoIPCStream());
    } catch (err) {
      throw new UsageError(`lake load: ${file} is not a readable Parquet file (${(err as Error).message})`);
    }
    return table.toArray().map((row) => {
      const o = (row as { toJSON(): LakeRecord }).toJSON();
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)]));
    });
  }
  if (/\.(jsonl|ndjson|json)$/.test(name)) {
    return bytes
      .toString("utf8")
      .split("\n")
      .map((line, i) => ({ line: line.trim(), n: i + 1 }))
      .filter((l) => l.line !== "")
      .map(({ line, n }) => {
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch {
          throw new UsageError(`lake load: ${file} line ${n} is not JSON`);
        }
        if (!v || typeof v !== "object" || Array.isArray(v))
          throw new UsageError(`lake load: ${file} line ${n} is not a JSON object`);
        return v as LakeRecord;
      });
  }
  throw new UsageError(
    `lake load: ${file}: give Parquet (.parquet) or JSON Lines (.jsonl, .json, .ndjson), optionally .gz`,
  );
}

/** A record's event time as epoch ms (numbers as they are, ISO strings parsed), or undefined. */
function eventTimeOf(r: LakeRecord): number | undefined {
  const t = r.event_time;
  if (typeof t === "number" && Number.isFinite(t)) return t;
  if (typeof t === "string" && !Number.isNaN(Date.parse(t))) return Date.parse(t);
  return undefined;
}

/**
 * The partition path of a record under the mapper's partition columns: each column's value from the
 * record, or for `dt` the day of its `event_time` (as Firehose partitions the events table).
 */
export function partitionOf(m: DataMapper, r: LakeRecord, where: string): string {
  return m.partitionColumns
    .map((col) => {
      let v = r[col];
      if ((v === undefined || v === null) && col === "dt") {
        const t = eventTimeOf(r);
        if (t !== undefined) v = new Date(t).toISOString().slice(0, 10);
      }
      if (v === undefined || v === null || v === "")
        throw new UsageError(
          `lake load: ${where} has no value for the partition column ${col} of mapper ${m.name}` +
            (col === "dt" ? " (nor an event_time to take the day from)" : ""),
        );
      return `${col}=${String(v)}`;
    })
    .join("/");
}

/** Records in the events table's shape (what producers send to the ingest stream), or a clear refusal. */
function asEvent(r: LakeRecord, where: string): SampleEvent {
  const t = eventTimeOf(r);
  if (typeof r.customer_id !== "string" || r.customer_id === "" || t === undefined)
    throw new UsageError(
      `lake load: ${where} is not an event of the ingest path: it needs customer_id (a string) and event_time (epoch ms or ISO time)`,
    );
  return {
    customer_id: r.customer_id,
    event_time: t,
    event_type: typeof r.event_type === "string" ? r.event_type : "",
    payload: typeof r.payload === "string" ? r.payload : JSON.stringify(r.payload ?? null),
  };
}

/**
 * Objects of the mapper's format: Parquet (the events table's schema), JSON Lines (gzipped for jsonl.gz)
 * or CSV/TSV in the mapper's dialect (gzipped for csv.gz); `where(i)` names record i in refusals.
 */
function encode(
  m: DataMapper,
  records: LakeRecord[],
  where: (i: number) => string,
): { body: Uint8Array; extension: string } {
  if (m.csv) {
    const text = csvObjectText(m, records, where);
    return m.format === "csv.gz"
      ? { body: gzipSync(text), extension: "csv.gz" }
      : { body: Buffer.from(text), extension: "csv" };
  }
  if (m.format === "parquet") {
    const events = records.map((r, i) => asEvent(r, where(i)));
    return { body: eventsToParquet(events, 10_000), extension: "parquet" };
  }
  const text = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
  return m.format === "jsonl.gz"
    ? { body: gzipSync(text), extension: "jsonl.gz" }
    : { body: Buffer.from(text), extension: "jsonl" };
}

function groupBy<T>(items: T[], key: (t: T, i: number) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  items.forEach((t, i) => {
    const k = key(t, i);
    out.set(k, [...(out.get(k) ?? []), t]);
  });
  return out;
}

/** The customers and days of a sample lake: cust-0000…, and the `days` days before `now`. */
export function sampleRecords(o: { customers: number; days: number }, now: Date): SampleEvent[] {
  const customers = Array.from({ length: o.customers }, (_, i) => `cust-${String(i).padStart(4, "0")}`);
  const out: SampleEvent[] = [];
  for (let d = o.days; d >= 1; d--) {
    const day = new Date(now.getTime() - d * 86_400_000).toISOString().slice(0, 10);
    out.push(...sampleEvents(customers, customers.length * 20, day, d));
  }
  return out;
}

export async function loadLake(stack: LocalStack, o: LakeLoadOptions): Promise<LakeLoadResult> {
  const m = mapperOf(stack, o.mapper);
  if (!o.sample && !(o.files && o.files.length > 0))
    throw new UsageError("lake load: give files to load, or --sample");
  if (o.sample && o.files && o.files.length > 0)
    throw new UsageError("lake load: give files or --sample, not both");
  const records: LakeRecord[] = o.sample
    ? (sampleRecords(o.sample, o.now ?? new Date()) as unknown as LakeRecord[])
    : o.files!.flatMap((f) => readRecords(f).map((r) => ({ ...r, __file: path.basename(f) })));
  const where = (r: LakeRecord, i: number) =>
    r.__file ? `${String(r.__file)} record ${i + 1}` : `record ${i + 1}`;
  const strip = (r: LakeRecord) => {
    const { __file: _file, ...rest } = r;
    return rest;
  };
  const name = o.name ?? `lethe-load-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  const { bucket, prefix } = parseS3Location(m.location);
  const s3 = makeS3Client();
  const result: LakeLoadResult = {
    mapper: m.name,
    location: m.location,
    path: o.direct ? "direct" : "ingest",
    recordsIn: records.length,
    objects: [],
    dropped: 0,
    failed: 0,
  };

  if (!o.direct) {
    // The ingest path is the Firehose stream, which writes Lethe's own events table only.
    if (m.name !== eventsTable.name || m.format !== "parquet")
      throw new UsageError(
        `lake load: the ingest path feeds the events table only; load mapper ${m.name} with --direct`,
      );
    const events = records.map((r, i) => asEvent(r, where(r, i)));
    const guardFn = await packagedFunction("ingest-guard");
    const guard = loadPackagedHandler(guardFn, batchFunctionEnvironment(guardFn, stack));
    const byDay = groupBy(events, (e) => new Date(e.event_time).toISOString().slice(0, 10));
    for (const [day, dayEvents] of [...byDay].sort(([a], [b]) => a.localeCompare(b))) {
      const delivery = await deliverThroughGuard(dayEvents, {
        transform: guard,
        s3,
        bucket,
        day,
        name,
        rowGroupRows: 10_000,
      });
      result.dropped += delivery.dropped;
      result.failed += delivery.failed;
      if (delivery.object) {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: delivery.object.key }));
        result.objects.push({
          key: delivery.object.key,
          rows: delivery.object.rows,
          bytes: head.ContentLength ?? 0,
          partition: `${eventsTable.partitionKey}=${day}`,
        });
      }
    }
  } else {
    const labelled = records.map((r, i) => ({ r, label: where(r, i) }));
    const byPartition = groupBy(labelled, ({ r, label }) => partitionOf(m, r, label));
    for (const [partition, rows] of [...byPartition].sort(([a], [b]) => a.localeCompare(b))) {
      // Partition columns are in the path, never in the rows.
      const inRows = rows.map(({ r }) => {
        const rest = strip(r);
        for (const c of m.partitionColumns) delete rest[c];
        return rest;
      });
      const { body, extension } = encode(
        m,
        m.csv ? inRows : rows.map(({ r }) => strip(r)),
        (i) => rows[i].label,
      );
      const key = `${prefix}${partition ? `${partition}/` : ""}${name}.${extension}`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      result.objects.push({ key, rows: rows.length, bytes: body.length, partition });
    }
  }
  return result;
}
