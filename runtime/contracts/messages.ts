// The shapes that pass between Lethe's functions (SQS messages, state-machine payloads, console
// events). None of them carries a subject's ID: IDs live only in the batch manifest on S3.

/** A batch's subject IDs, written once to S3 (KMS, under an expiring prefix). */
export interface ManifestRef {
  bucket: string;
  key: string;
  /** The version written, so a reader never sees a later overwrite. */
  versionId?: string;
}

/** One lake object to purge: the body of a purge-queue message and the `purge` function's console event. */
export interface PurgeObjectMessage {
  batchId: string;
  /** The data mapper (`DataMapper.name`) the object belongs to. */
  mapper: string;
  object: {
    bucket: string;
    key: string;
    /** The versions the plan found holding matching rows (current and noncurrent). */
    versionIds: string[];
  };
  manifest: ManifestRef;
  /** Verify rounds send objects again; the ledger keys each object's outcome by round. */
  round?: number;
}

/** One SQS message as Lambda delivers it (lower-case attribute fields). */
export interface PurgeQueueRecord {
  messageId: string;
  body: string;
  eventSource?: string;
  messageAttributes?: Record<string, { stringValue?: string; dataType?: string }>;
  attributes?: { ApproximateReceiveCount?: string };
}

/** An SQS event source's event (rather than a console test event). */
export function isSqsEvent(event: unknown): event is { Records: PurgeQueueRecord[] } {
  const records = (event as { Records?: unknown } | null)?.Records;
  return (
    Array.isArray(records) &&
    records.every(
      (r) => typeof r === "object" && r !== null && typeof (r as PurgeQueueRecord).body === "string",
    )
  );
}
