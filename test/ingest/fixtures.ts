// Moto-backed fixtures for the ingest guard tests: an opt-out table shaped like the program's, and a
// lake-like bucket (versioned, SSE-KMS with a customer key).
import { randomUUID } from "node:crypto";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { makeDocumentClient, makeKmsClient } from "../../runtime/aws/clients";
import { createBucketLike, createTableLike } from "../../local/stack";
import { FilterLocation } from "../../runtime/ingest/filterStore";
import { defaultFilterPrefix } from "../../runtime/ingest/settings";
import type { SubjectHasher } from "../../runtime/subjects/subjectHash";
import { testSubjectHasher } from "../support/subjectHashKeys";

export async function createOptOutTable(): Promise<string> {
  return createTableLike("optOut", `lethe-optout-${randomUUID().slice(0, 8)}`);
}

/** Registers many opt-outs quickly (BatchWriteItem, 25 a call, a few calls in flight). */
export async function bulkOptOut(table: string, ids: readonly string[]): Promise<void> {
  const doc = makeDocumentClient();
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += 25) chunks.push(ids.slice(i, i + 25));
  const at = new Date().toISOString();
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      let items: Record<string, unknown>[] = chunk.map((customerId) => ({
        PutRequest: { Item: { customerId, requestRef: "bulk-test", optedOutAt: at } },
      }));
      while (items.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: items as never } }));
        items = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

export async function createLakeBucket(): Promise<FilterLocation> {
  const key = await makeKmsClient().send(new CreateKeyCommand({ Description: "lethe ingest test" }));
  const bucket = await createBucketLike(
    "lakeBucket",
    `lethe-guard-${randomUUID().slice(0, 8)}`,
    key.KeyMetadata!.Arn!,
  );
  return { bucket, prefix: defaultFilterPrefix, kmsKeyArn: key.KeyMetadata!.Arn };
}

/** A Firehose record for `body` (a JSON object, or raw text when a string). */
export function firehoseRecord(
  recordId: string,
  body: unknown,
): { recordId: string; data: string; approximateArrivalTimestamp: number } {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return {
    recordId,
    data: Buffer.from(text, "utf8").toString("base64"),
    approximateArrivalTimestamp: Date.now(),
  };
}

export function event(records: ReturnType<typeof firehoseRecord>[]) {
  return {
    invocationId: randomUUID(),
    deliveryStreamArn: "arn:aws:firehose:eu-west-1:123456789012:deliverystream/lethe-test-ingest",
    region: "eu-west-1",
    records,
  };
}

let sharedHasher: Promise<SubjectHasher> | undefined;
/** One hasher over one emulator HMAC key for the ingest tests (a stack has one key too). */
export function fixtureHasher(): Promise<SubjectHasher> {
  sharedHasher ??= testSubjectHasher();
  return sharedHasher;
}
