// The forget ledger (tableShapes.ledger): per batch, one item per object and round with its outcome,
// and one summary item whose counters the orchestration polls and whose status a cancel sets.
// Each object's final outcome is written once, in one transaction with the summary's counters (ADD),
// conditioned on the outcome read before the work: a redelivered message after success finds it done
// and changes nothing, and no counter is ever counted twice.
import { randomUUID } from "node:crypto";
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { ttlAttribute } from "../../contracts/tables";
import type { ForgetFailureKind } from "./errors";
import type { ForgetReport } from "./purgeLakeObject";

/** `resumed`: a failed object sent again by `lethe retry` (runtime/erasure/retry.ts), not settled yet. */
export type LedgerOutcome = "purged" | "nothing-to-do" | "conflict-retried" | "failed" | "resumed";

export interface ObjectRef {
  batchId: string;
  round: number;
  bucket: string;
  key: string;
  mapper?: string;
}

export interface LedgerEntry extends ObjectRef {
  outcome: LedgerOutcome;
  rowsRemoved?: number;
  versionsDeleted?: string[];
  versionsWritten?: string[];
  bytesIn?: number;
  bytesOut?: number;
  /** Bytes GET from the versions rewritten (at most bytesIn: only row groups with matches are read). */
  bytesRead?: number;
  fencingToken?: number;
  failureKind?: ForgetFailureKind;
  reason?: string;
  attempts?: number;
  updatedAt: string;
  /** Changes with every write: the condition the next write of this item is made on. */
  revision?: string;
}

export interface BatchSummary {
  batchId: string;
  /** Set by whoever cancels the batch (`CANCELLED`); its messages are then acknowledged without work. */
  status?: string;
  objectsPurged: number;
  objectsNothingToDo: number;
  objectsFailed: number;
  conflictsRetried: number;
  rowsRemoved: number;
  versionsDeleted: number;
  bytesIn: number;
  bytesOut: number;
  bytesRead: number;
}

export const cancelledBatchStatus = "CANCELLED";
export const summarySortKey = "summary";
const finalOutcomes: readonly LedgerOutcome[] = ["purged", "nothing-to-do"];

export function batchPartitionKey(batchId: string): string {
  return `batch#${batchId}`;
}

export function objectSortKey(o: Pick<ObjectRef, "round" | "bucket" | "key">): string {
  return `object#${o.round}#s3://${o.bucket}/${o.key}`;
}

export function isDone(entry: LedgerEntry | undefined): boolean {
  return entry !== undefined && finalOutcomes.includes(entry.outcome);
}

export class ForgetLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Days ledger items are kept (TTL); undefined keeps them. */
    private readonly retentionDays?: number,
  ) {}

  async get(o: ObjectRef): Promise<LedgerEntry | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: batchPartitionKey(o.batchId), sk: objectSortKey(o) },
        ConsistentRead: true,
      }),
    );
    return out.Item as LedgerEntry | undefined;
  }

  async summary(batchId: string): Promise<BatchSummary> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: batchPartitionKey(batchId), sk: summarySortKey },
        ConsistentRead: true,
      }),
    );
    const i = (out.Item ?? {}) as Partial<BatchSummary>;
    return {
      batchId,
      status: i.status,
      objectsPurged: i.objectsPurged ?? 0,
      objectsNothingToDo: i.objectsNothingToDo ?? 0,
      objectsFailed: i.objectsFailed ?? 0,
      conflictsRetried: i.conflictsRetried ?? 0,
      rowsRemoved: i.rowsRemoved ?? 0,
      versionsDeleted: i.versionsDeleted ?? 0,
      bytesIn: i.bytesIn ?? 0,
      bytesOut: i.bytesOut ?? 0,
      bytesRead: i.bytesRead ?? 0,
    };
  }

  async isCancelled(batchId: string): Promise<boolean> {
    return (await this.summary(batchId)).status === cancelledBatchStatus;
  }

  /** Marks a batch cancelled: messages still queued for it are acknowledged without work. */
  async cancel(batchId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: batchPartitionKey(batchId), sk: summarySortKey },
        UpdateExpression: "SET #s = :s",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": cancelledBatchStatus },
      }),
    );
  }

  /**
   * Gives the batch's summary item the TTL its object items get (a no-op without retentionDays or
   * without a summary). For a batch no sweep settles: a retention run's (runtime/erasure/retention/run.ts)
   * counters only; a request batch's summary is its record and is kept.
   */
  async expireSummary(batchId: string): Promise<void> {
    if (!this.retentionDays) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: batchPartitionKey(batchId), sk: summarySortKey },
          UpdateExpression: "SET #ttl = :ttl",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#ttl": ttlAttribute },
          ExpressionAttributeValues: { ":ttl": Math.floor(Date.now() / 1000) + this.retentionDays * 86400 },
        }),
      );
    } catch (err) {
      if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
    }
  }

  /**
   * Records a success. Returns false (changing nothing) when the object was already recorded done, by
   * this delivery's twin or an earlier one.
   */
  recordSuccess(report: ForgetReport, prior: LedgerEntry | undefined): Promise<boolean> {
    const outcome: LedgerOutcome = report.status === "purged" ? "purged" : "nothing-to-do";
    const entry: LedgerEntry = {
      batchId: report.batchId,
      round: report.round,
      bucket: report.bucket,
      key: report.key,
      mapper: report.mapper,
      outcome,
      rowsRemoved: report.rowsRemoved,
      versionsDeleted: report.versionsDeleted,
      versionsWritten: report.versionsWritten,
      bytesIn: report.bytesIn,
      bytesOut: report.bytesOut,
      bytesRead: report.bytesRead,
      fencingToken: report.fencingToken,
      attempts: (prior?.attempts ?? 0) + 1,
      updatedAt: new Date().toISOString(),
    };
    return this.transition(entry, prior, {
      [outcome === "purged" ? "objectsPurged" : "objectsNothingToDo"]: 1,
      objectsFailed: prior?.outcome === "failed" ? -1 : 0,
      conflictsRetried: report.conflictsRetried,
      rowsRemoved: report.rowsRemoved,
      versionsDeleted: report.versionsDeleted.length,
      bytesIn: report.bytesIn,
      bytesOut: report.bytesOut,
      bytesRead: report.bytesRead,
    });
  }

  /** Records a failure that will not be retried (bad input, refused by the engine, retries exhausted). */
  recordFailure(
    o: ObjectRef,
    kind: ForgetFailureKind,
    reason: string,
    prior: LedgerEntry | undefined,
  ): Promise<boolean> {
    if (isDone(prior) || prior?.outcome === "failed") return Promise.resolve(false);
    const entry: LedgerEntry = {
      ...o,
      outcome: "failed",
      failureKind: kind,
      reason,
      attempts: (prior?.attempts ?? 0) + 1,
      updatedAt: new Date().toISOString(),
    };
    return this.transition(entry, prior, { objectsFailed: 1 });
  }

  /**
   * Opens a failed object again for a resumed batch: it no longer counts as failed (nor as settled), so
   * the round waits for its new outcome. False when it was not failed (or changed meanwhile).
   */
  reopenFailed(prior: LedgerEntry): Promise<boolean> {
    if (prior.outcome !== "failed") return Promise.resolve(false);
    const {
      pk: _pk,
      sk: _sk,
      revision: _revision,
      ...rest
    } = prior as LedgerEntry & { pk?: string; sk?: string };
    const entry: LedgerEntry = { ...rest, outcome: "resumed", updatedAt: new Date().toISOString() };
    return this.transition(entry, prior, { objectsFailed: -1 });
  }

  /** Records that the object goes back to the queue (lock busy, conflict, lease lost). */
  recordRetry(o: ObjectRef, kind: ForgetFailureKind, reason: string, prior: LedgerEntry | undefined) {
    if (isDone(prior)) return Promise.resolve(false);
    const entry: LedgerEntry = {
      ...o,
      outcome: prior?.outcome === "failed" ? "failed" : "conflict-retried",
      failureKind: kind,
      reason,
      attempts: (prior?.attempts ?? 0) + 1,
      updatedAt: new Date().toISOString(),
    };
    return this.transition(entry, prior, { conflictsRetried: 1 });
  }

  /** Writes `entry` if the item is still as `prior` found it, and adds `counters` to the summary, atomically. */
  private async transition(
    entry: LedgerEntry,
    prior: LedgerEntry | undefined,
    counters: Record<string, number>,
  ): Promise<boolean> {
    const pk = batchPartitionKey(entry.batchId);
    const adds = Object.entries(counters).filter(([, n]) => n !== 0);
    const ttl = this.retentionDays
      ? { [ttlAttribute]: Math.floor(Date.now() / 1000) + this.retentionDays * 86400 }
      : {};
    const condition = prior
      ? {
          ConditionExpression: "revision = :prior",
          ExpressionAttributeValues: { ":prior": prior.revision ?? "" },
        }
      : { ConditionExpression: "attribute_not_exists(pk)" };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { pk, sk: objectSortKey(entry), ...entry, revision: randomUUID(), ...ttl },
                ...condition,
              },
            },
            ...(adds.length
              ? [
                  {
                    Update: {
                      TableName: this.tableName,
                      Key: { pk, sk: summarySortKey },
                      UpdateExpression: `ADD ${adds.map((_, i) => `#c${i} :c${i}`).join(", ")}`,
                      ExpressionAttributeNames: Object.fromEntries(adds.map(([name], i) => [`#c${i}`, name])),
                      ExpressionAttributeValues: Object.fromEntries(adds.map(([, n], i) => [`:c${i}`, n])),
                    },
                  },
                ]
              : []),
          ],
        }),
      );
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === "TransactionCanceledException") return false;
      throw err;
    }
  }
}
