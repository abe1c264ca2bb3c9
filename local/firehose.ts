// The ingest path as Firehose runs it, in process: records go through the ingest guard's transform
// (the packaged function, as Lambda would run it) in invocations of at most `recordsPerInvocation`,
// and what it answers `Ok` is converted to one GZIP Parquet object under the events table's `dt=`
// partition; records it could not process go under the error prefix, as Firehose writes them.
import { randomUUID } from "node:crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { eventsTable, ingestErrorRoot } from "../runtime/contracts/lakeSchema";
import type { SampleObject } from "../runtime/contracts/stack";
import type { PackagedHandler } from "./program/packaging";
import { eventsToParquet, rowsByCustomerOf, SampleEvent } from "./fixtures/sampleLake";

export interface DeliveryOptions {
  /** The ingest guard's handler. */
  transform: PackagedHandler;
  s3: S3Client;
  bucket: string;
  /** The `dt=` partition (yyyy-MM-dd) the object goes under. */
  day: string;
  /** Part of the object's name. */
  name: string;
  rowGroupRows: number;
  /** Firehose sends at most 6 MB to a transform; 2,000 records of the sample events stay far below. */
  recordsPerInvocation?: number;
}

export interface Delivery {
  /** The object written (absent when the guard let no record through). */
  object?: SampleObject;
  recordsIn: number;
  dropped: number;
  failed: number;
}

interface TransformReply {
  records: { recordId: string; result: "Ok" | "Dropped" | "ProcessingFailed"; data: string }[];
}

export async function deliverThroughGuard(events: SampleEvent[], o: DeliveryOptions): Promise<Delivery> {
  const per = o.recordsPerInvocation ?? 2000;
  const kept: SampleEvent[] = [];
  const failed: string[] = [];
  let dropped = 0;
  for (let start = 0; start < events.length; start += per) {
    const chunk = events.slice(start, start + per);
    const records = chunk.map((e, i) => ({
      recordId: String(start + i),
      approximateArrivalTimestamp: e.event_time,
      data: Buffer.from(JSON.stringify(e)).toString("base64"),
    }));
    const reply = (await o.transform({
      invocationId: randomUUID(),
      deliveryStreamArn: "arn:aws:firehose:local:000000000000:deliverystream/lethe-local-ingest",
      region: "local",
      records,
    })) as TransformReply;
    if (reply.records.length !== records.length)
      throw new Error(`the ingest guard answered ${reply.records.length} of ${records.length} records`);
    for (const r of reply.records) {
      const text = Buffer.from(r.data, "base64").toString("utf8");
      if (r.result === "Ok") kept.push(JSON.parse(text) as SampleEvent);
      else if (r.result === "Dropped") dropped++;
      else failed.push(text);
    }
  }
  if (failed.length > 0) {
    await o.s3.send(
      new PutObjectCommand({
        Bucket: o.bucket,
        Key: `${ingestErrorRoot}processing-failed/dt=${o.day}/${o.name}.jsonl`,
        Body: failed.join("\n") + "\n",
      }),
    );
  }
  const result: Delivery = { recordsIn: events.length, dropped, failed: failed.length };
  if (kept.length === 0) return result;
  const key = `${eventsTable.prefix}${eventsTable.partitionKey}=${o.day}/${o.name}.parquet`;
  await o.s3.send(
    new PutObjectCommand({
      Bucket: o.bucket,
      Key: key,
      Body: eventsToParquet(kept, o.rowGroupRows),
      ContentType: "application/vnd.apache.parquet",
    }),
  );
  return { ...result, object: { key, rows: kept.length, rowsByCustomer: rowsByCustomerOf(kept) } };
}
