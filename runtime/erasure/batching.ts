// Batching (the `batch` function, on a schedule or `{"now": true}`): open requests, oldest deadline
// first, are collected up to a number of subject IDs into one batch, so each object is rewritten once
// per batch. Each request is claimed with a conditional move RECEIVED -> BATCHED naming the batch, so
// two runs at once never share a request. The batch's IDs go to its S3 manifest (never into an item
// or the execution's input), the batch record is created, and one execution is started for it.
import { randomUUID } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { requestsInStatePages } from "./requestPages";
import { BatchTables, batchTarget, createBatch, requestTarget } from "./batches";
import { writeManifest } from "./manifest";
import { ErasureRequest, readRequestIds } from "./request";
import { moveState, StateMoveRefused } from "./stateMoves";
import { appendAudit, AuditSettings } from "./audit";

/** What the state machine's execution is started with (the definition's input). */
export interface ExecutionInput {
  batchId: string;
  deadline: string;
}

export interface BatchingDeps extends BatchTables {
  s3: S3Client;
  /** The lake bucket (manifests under erasure-manifests/). */
  lakeBucket: string;
  kmsKeyArn: string;
  /** Most subject IDs one batch collects (a single larger request still makes a batch of its own). */
  maxSubjects: number;
  /** Starts the batch's execution: Step Functions deployed, the local runner locally. */
  startExecution(input: ExecutionInput): Promise<{ executionId: string }>;
  audit?: AuditSettings;
  now?: () => Date;
}

export type BatchReply =
  | {
      status: "STARTED";
      batchId: string;
      requestIds: string[];
      subjects: number;
      deadline: string;
      executionId: string;
      message: string;
    }
  | { status: "NO_OPEN_REQUESTS"; message: string };

/** `batch-20261201T103000Z-1a2b3c4d`: a valid execution name, S3 key segment and partition value. */
export function newBatchId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `batch-${stamp}-${randomUUID().slice(0, 8)}`;
}

/** Open requests, oldest deadline first, until the next would take the batch past `maxSubjects`. */
async function openRequests(deps: BatchingDeps): Promise<ErasureRequest[]> {
  const picked: ErasureRequest[] = [];
  let subjects = 0;
  for await (const page of requestsInStatePages<ErasureRequest>(deps.doc, deps.requestsTable, "RECEIVED")) {
    for (const r of page) {
      if (picked.length > 0 && subjects + r.subjectCount > deps.maxSubjects) return picked;
      picked.push(r);
      subjects += r.subjectCount;
    }
  }
  return picked;
}

/** Gives claimed requests back (BATCHED in this batch -> RECEIVED) when the batch could not be made. */
async function releaseClaims(deps: BatchingDeps, batchId: string, requestIds: string[]): Promise<void> {
  for (const requestId of requestIds) {
    try {
      await deps.doc.send(
        new UpdateCommand({
          TableName: deps.requestsTable,
          Key: { requestId },
          ConditionExpression: "#s = :batched AND batchId = :b",
          UpdateExpression: "SET #s = :received REMOVE batchId",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":batched": "BATCHED", ":b": batchId, ":received": "RECEIVED" },
        }),
      );
    } catch (err) {
      if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
    }
  }
}

export async function collectBatch(deps: BatchingDeps): Promise<BatchReply> {
  const now = (deps.now ?? (() => new Date()))();
  const candidates = await openRequests(deps);
  const batchId = newBatchId(now);
  const claimed: ErasureRequest[] = [];
  for (const r of candidates) {
    try {
      const moved = await moveState(deps.doc, requestTarget(deps, r.requestId), "BATCHED", { batchId });
      claimed.push(moved as unknown as ErasureRequest);
    } catch (err) {
      // Another batch run claimed it first (or it was cancelled meanwhile): it is not ours.
      if (!(err instanceof StateMoveRefused)) throw err;
    }
  }
  if (claimed.length === 0)
    return { status: "NO_OPEN_REQUESTS", message: "no open (RECEIVED) requests: no batch was made" };

  const claimedIds = claimed.map((r) => r.requestId);
  let created = false;
  try {
    const read: { request: ErasureRequest; ids: string[][] }[] = [];
    for (const r of claimed) {
      const ids = await readRequestIds(deps.s3, r);
      if (!ids) throw new Error(`request ${r.requestId} has no IDs file (its raw IDs were dropped)`);
      read.push({ request: r, ids });
    }
    // A manifest's keys all have one arity (a one-part ID is not a composite key): requests whose keys
    // have another arity than the oldest's go back to the pool, for a batch of their own.
    const arity = read[0].ids[0]?.length;
    const batched = read.filter((x) => x.ids[0]?.length === arity);
    const others = read.filter((x) => x.ids[0]?.length !== arity).map((x) => x.request.requestId);
    if (others.length > 0) await releaseClaims(deps, batchId, others);
    const requestIds = batched.map((x) => x.request.requestId);
    const deadline = batched.map((x) => x.request.deadline).sort()[0];
    const keys = batched.flatMap((x) => x.ids);
    const manifest = await writeManifest(deps.s3, {
      bucket: deps.lakeBucket,
      batchId,
      keys,
      kmsKeyArn: deps.kmsKeyArn,
    });
    const batch = await createBatch(deps, {
      batchId,
      requestIds,
      subjectCount: new Set(keys.map((k) => JSON.stringify(k))).size,
      manifest,
      deadline,
      createdAt: now.toISOString(),
    });
    created = true;
    const { executionId } = await deps.startExecution({ batchId, deadline });
    const target = batchTarget(deps, batchId);
    await deps.doc.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: target.key,
        UpdateExpression: "SET executionId = :e",
        ExpressionAttributeValues: { ":e": executionId },
      }),
    );
    if (deps.audit)
      for (const requestId of requestIds)
        await appendAudit(deps.doc, deps.audit, requestId, "batched", { batchId, executionId });
    return {
      status: "STARTED",
      batchId,
      requestIds,
      subjects: batch.subjectCount,
      deadline,
      executionId,
      message: `batch ${batchId}: ${requestIds.length} request(s), ${batch.subjectCount} subject(s), execution started`,
    };
  } catch (err) {
    // Nothing runs for this batch: its requests go back to the pool for the next run.
    await releaseClaims(deps, batchId, claimedIds);
    if (created)
      await moveState(deps.doc, batchTarget(deps, batchId), "CANCELLED", {
        reason: `its execution could not start (${(err as Error).message}); its requests were released`,
      });
    throw err;
  }
}
