// What each data mapper gave up in a batch, for the report: the forget ledger's per-object outcomes
// (every round) added up by mapper, beside what the plan found and the bytes its find scanned.
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { ReportTarget } from "../../contracts/report";
import { batchPartitionKey, LedgerEntry } from "../forget/ledger";

/** One mapper of the plan summary (runtime/erasure/plan.ts summarisePlan). */
export interface PlannedMapper {
  mapper: string;
  objects: number;
  versions: number;
  expectedRows: number;
  bytesScanned: number;
}

export interface MapperOutcome {
  objectsRewritten: number;
  objectsFailed: number;
  versionsDeleted: number;
  rowsRemoved: number;
  /** Why objects failed, for a person (the ledger's reasons name objects, never subjects). */
  reasons: string[];
}

/** The ledger's object items of a batch, summed by mapper (an object counts once across rounds). */
export async function ledgerByMapper(
  doc: DynamoDBDocumentClient,
  ledgerTable: string,
  batchId: string,
): Promise<Map<string, MapperOutcome>> {
  const out = new Map<string, MapperOutcome>();
  const rewritten = new Map<string, Set<string>>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: ledgerTable,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :object)",
        ExpressionAttributeValues: { ":pk": batchPartitionKey(batchId), ":object": "object#" },
        ExclusiveStartKey,
        ConsistentRead: true,
      }),
    );
    for (const e of (page.Items ?? []) as LedgerEntry[]) {
      const mapper = e.mapper ?? "(unknown mapper)";
      let m = out.get(mapper);
      if (!m) {
        out.set(
          mapper,
          (m = { objectsRewritten: 0, objectsFailed: 0, versionsDeleted: 0, rowsRemoved: 0, reasons: [] }),
        );
        rewritten.set(mapper, new Set());
      }
      m.rowsRemoved += e.rowsRemoved ?? 0;
      m.versionsDeleted += e.versionsDeleted?.length ?? 0;
      if (e.outcome === "purged") rewritten.get(mapper)!.add(`${e.bucket}/${e.key}`);
      if (e.outcome === "failed") {
        m.objectsFailed += 1;
        if (e.reason && m.reasons.length < 3) m.reasons.push(`s3://${e.bucket}/${e.key}: ${e.reason}`);
      }
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  for (const [mapper, keys] of rewritten) out.get(mapper)!.objectsRewritten = keys.size;
  return out;
}

/**
 * One target per mapper of the plan or the ledger. `erased` is false for a rejected batch: what the
 * plan found is shown, nothing was touched.
 */
export function lakeTargets(
  planned: readonly PlannedMapper[],
  outcomes: Map<string, MapperOutcome>,
  erased: boolean,
): ReportTarget[] {
  const names = [...new Set([...planned.map((p) => p.mapper), ...outcomes.keys()])].sort();
  return names.map((name) => {
    const p = planned.find((x) => x.mapper === name);
    const o = outcomes.get(name);
    const target: ReportTarget = {
      kind: "lake",
      name,
      outcome: !erased
        ? "not-run"
        : o && o.objectsFailed > 0
          ? "failed"
          : o && (o.rowsRemoved > 0 || o.objectsRewritten > 0)
            ? "erased"
            : "nothing-found",
      ...(p ? { objectsPlanned: p.objects, versionsPlanned: p.versions, rowsExpected: p.expectedRows } : {}),
      objectsRewritten: o?.objectsRewritten ?? 0,
      versionsDeleted: o?.versionsDeleted ?? 0,
      rowsRemoved: o?.rowsRemoved ?? 0,
      ...(p ? { bytesScanned: p.bytesScanned } : {}),
      ...(o && o.reasons.length ? { reason: o.reasons.join("; ") } : {}),
    };
    return target;
  });
}

/** The plan summary in the state machine's `$.plan`: find's reply (`{summary}`) or a summary itself. */
export function plannedMappers(plan: unknown): PlannedMapper[] {
  const p = plan as { summary?: { mappers?: unknown }; mappers?: unknown } | null | undefined;
  const mappers = p?.summary?.mappers ?? p?.mappers;
  if (!Array.isArray(mappers)) return [];
  return mappers
    .filter(
      (m): m is Record<string, unknown> =>
        typeof m === "object" && m !== null && typeof m.mapper === "string",
    )
    .map((m) => ({
      mapper: m.mapper as string,
      objects: num(m.objects),
      versions: num(m.versions),
      expectedRows: num(m.expectedRows),
      bytesScanned: num(m.bytesScanned),
    }));
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
