// A batch of erasure requests, erased together so each object is rewritten once per batch. Its record
// is the forget ledger's summary item (tableShapes.ledger, `batch#<id>` / `summary`): the purge
// function adds its counters there and reads its state there, so a cancel is seen by every worker.
// Its state moves like a request's (stateMoves.ts), and its requests move with it.
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { ErasureState } from "../contracts/requests";
import { UsageError } from "../contracts/errors";
import type { ReportTarget } from "../contracts/report";
import { ManifestRef } from "../contracts/messages";
import { batchPartitionKey, summarySortKey } from "./forget/ledger";
import { moveState, StateMoveRefused, StateMoveTarget } from "./stateMoves";
import { appendAudit, AuditSettings } from "./audit";

export interface BatchRecord {
  batchId: string;
  status: ErasureState;
  requestIds: string[];
  subjectCount: number;
  manifest: ManifestRef;
  /** The earliest deadline of its requests. */
  deadline: string;
  createdAt: string;
  executionId?: string;
  /** When the report task ended it COMPLETED. */
  completedAt?: string;
  /** While (and after) the batch waits for a person: the token that resumes it, and the decision. */
  approval?: {
    taskToken: string;
    requestedAt: string;
    decision?: "approve" | "reject";
    by?: string;
    reason?: string;
    decidedAt?: string;
    /** The plan's figures (counts and bytes) as the approvers were told them. */
    plan?: Record<string, number | string | boolean>;
  };
  /** Why the batch needs attention, was rejected or cancelled. */
  reason?: string;
  /** Each step's times and counts, as its task recorded them (the report lists them). */
  steps?: Record<string, BatchStep>;
  /** Each store's outcome (DynamoDB, PostgreSQL, subsystems), by store name, as its branch recorded it. */
  storeOutcomes?: Record<string, ReportTarget>;
  /** Each forget round as enqueued (by round number): what pollLedger counts against. */
  forgetRounds?: Record<string, ForgetRound>;
}

/**
 * One round of forget: the objects enqueued, and the ledger's settled and failed counters just before
 * (the summary's counters add up over every round of the batch).
 */
export interface ForgetRound {
  objects: number;
  settledBefore: number;
  failedBefore: number;
  enqueuedAt: string;
  plan: { bucket: string; key: string; versionId?: string };
}

export interface BatchStep {
  startedAt: string;
  endedAt?: string;
  counts?: Record<string, number>;
}

export interface BatchTables {
  doc: DynamoDBDocumentClient;
  /** The ledger table (batch records and per-object outcomes). */
  ledgerTable: string;
  requestsTable: string;
  /** Where every move of a request is audited (../shared/WORKFLOW.md: every transition is). */
  audit?: AuditSettings;
}

/** Who moved a request: the authenticated principal or the typed name, and the typed name as a note. */
export interface MovedBy {
  by: string;
  note?: string;
}

/** Who decided, as the records name them: the authenticated principal, else the typed name. */
export function decidedBy(e: { by?: string; principal?: string }): MovedBy {
  if (!e.principal) return { by: e.by || "unknown" };
  return { by: e.principal, ...(e.by ? { note: e.by } : {}) };
}

/** The workflow's own moves (its tasks run as the stack's functions, no person behind them). */
export const workflowMover: MovedBy = { by: "lethe workflow" };

/** Appends one audit step to each request, when the tables audit. */
export async function auditEach(
  t: BatchTables,
  requestIds: readonly string[],
  step: string,
  detail: Record<string, unknown>,
): Promise<void> {
  if (!t.audit) return;
  for (const requestId of requestIds) await appendAudit(t.doc, t.audit, requestId, step, detail);
}

/** Moves one request (moveState), auditing the move when the tables audit. */
export async function moveRequest(
  t: BatchTables,
  requestId: string,
  to: ErasureState,
  set: Record<string, unknown> = {},
  who: MovedBy = workflowMover,
): Promise<Record<string, unknown>> {
  // The reason of a move is the state's (`stateReason`): the request's own `reason` is why it was filed,
  // which its report and status keep showing.
  const { reason, ...rest } = set;
  const moved = await moveState(
    t.doc,
    requestTarget(t, requestId),
    to,
    typeof reason === "string" ? { ...rest, stateReason: reason } : rest,
  );
  await auditEach(t, [requestId], "state", {
    to,
    ...(moved.batchId ? { batchId: moved.batchId } : {}),
    ...(typeof reason === "string" ? { reason } : {}),
    ...who,
  });
  return moved;
}

export function batchTarget(t: BatchTables, batchId: string): StateMoveTarget {
  return {
    tableName: t.ledgerTable,
    key: { pk: batchPartitionKey(batchId), sk: summarySortKey },
    stateAttribute: "status",
    what: `batch ${batchId}`,
  };
}

export function requestTarget(t: BatchTables, requestId: string): StateMoveTarget {
  return {
    tableName: t.requestsTable,
    key: { requestId },
    stateAttribute: "status",
    what: `request ${requestId}`,
  };
}

/** Creates the batch record in BATCHED; refuses a batch id that exists. */
export async function createBatch(t: BatchTables, batch: Omit<BatchRecord, "status">): Promise<BatchRecord> {
  const record: BatchRecord = { ...batch, status: "BATCHED" };
  try {
    await t.doc.send(
      new PutCommand({
        TableName: t.ledgerTable,
        Item: { pk: batchPartitionKey(batch.batchId), sk: summarySortKey, ...record },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  } catch (err) {
    if (
      err instanceof ConditionalCheckFailedException ||
      (err as Error).name === "ConditionalCheckFailedException"
    )
      throw new Error(`batch ${batch.batchId} exists already`);
    throw err;
  }
  return record;
}

export async function getBatch(t: BatchTables, batchId: string): Promise<BatchRecord | undefined> {
  const r = await t.doc.send(
    new GetCommand({
      TableName: t.ledgerTable,
      Key: { pk: batchPartitionKey(batchId), sk: summarySortKey },
      ConsistentRead: true,
    }),
  );
  if (!r.Item || r.Item.requestIds === undefined) return undefined;
  const { pk: _pk, sk: _sk, ...record } = r.Item;
  return record as BatchRecord;
}

export interface BatchMove {
  batch: Record<string, unknown>;
  /** Requests that had already ended on their own (left as they are). */
  requestsLeft: string[];
}

/**
 * Moves the batch to `to` (refused when its state does not allow it), then each of its requests,
 * audited as moved by `who`. A request that has ended on its own is left as it is and named in the reply.
 */
export async function moveBatch(
  t: BatchTables,
  batchId: string,
  to: ErasureState,
  set: Record<string, unknown> = {},
  who: MovedBy = workflowMover,
): Promise<BatchMove> {
  const batch = await moveState(t.doc, batchTarget(t, batchId), to, set);
  const requestsLeft: string[] = [];
  for (const requestId of (batch.requestIds as string[] | undefined) ?? []) {
    try {
      await moveRequest(t, requestId, to, { batchId, ...pick(set, ["reason"]) }, who);
    } catch (err) {
      if (!(err instanceof StateMoveRefused)) throw err;
      requestsLeft.push(requestId);
    }
  }
  return { batch, requestsLeft };
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));
}

/**
 * Sets `<attribute>.<entry>` on the batch record to `value`, creating the map on the batch's first
 * entry, and returns the entry it replaced, if any. Refused for a batch that does not exist.
 */
async function setBatchMapEntry<T>(
  t: BatchTables,
  batchId: string,
  attribute: "steps" | "storeOutcomes",
  entry: string,
  value: T,
): Promise<T | undefined> {
  const key = { pk: batchPartitionKey(batchId), sk: summarySortKey };
  try {
    const out = await t.doc.send(
      new UpdateCommand({
        TableName: t.ledgerTable,
        Key: key,
        ConditionExpression: "attribute_exists(pk) AND attribute_exists(#map)",
        UpdateExpression: "SET #map.#entry = :v",
        ExpressionAttributeNames: { "#map": attribute, "#entry": entry },
        ExpressionAttributeValues: { ":v": value },
        ReturnValues: "UPDATED_OLD",
      }),
    );
    return (out.Attributes?.[attribute] as Record<string, T> | undefined)?.[entry];
  } catch (err) {
    if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
  }
  // The batch's first entry: create the map (still only on an existing batch).
  try {
    await t.doc.send(
      new UpdateCommand({
        TableName: t.ledgerTable,
        Key: key,
        ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(#map)",
        UpdateExpression: "SET #map = :m",
        ExpressionAttributeNames: { "#map": attribute },
        ExpressionAttributeValues: { ":m": { [entry]: value } },
      }),
    );
    return undefined;
  } catch (err) {
    if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
    if (!(await getBatch(t, batchId))) throw new UsageError(`batch ${batchId} does not exist`);
    // Another entry created the map meanwhile.
    return setBatchMapEntry(t, batchId, attribute, entry, value);
  }
}

/**
 * Records one step's times and counts on the batch (`steps.<step>`), whole: a task calls it when the
 * step starts and again when it ends. Refused for a batch that does not exist.
 */
export async function recordStep(
  t: BatchTables,
  batchId: string,
  step: string,
  value: BatchStep,
): Promise<void> {
  await setBatchMapEntry(t, batchId, "steps", step, value);
}

/**
 * Records one store's outcome on the batch (`storeOutcomes.<store>`, whole) and returns the outcome it
 * replaced, if any: a store task alerts the store's owner only when a failure is new, so a retried or
 * repeated call does not alert twice. Refused for a batch that does not exist.
 */
export function recordStoreOutcome(
  t: BatchTables,
  batchId: string,
  store: string,
  outcome: ReportTarget,
): Promise<ReportTarget | undefined> {
  return setBatchMapEntry(t, batchId, "storeOutcomes", store, outcome);
}
