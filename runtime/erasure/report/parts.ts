// The report of a request larger than one batch: it was split into parts at intake (intake.ts), and
// each part got its own report when its batch ended (workflow/tasks/report.ts). The request's report
// is theirs put together, worked out when it is read (`lethe report`, cli/work/reports.ts): every part
// and its batch listed, each step, target and audit entry named by its part, the totals added up.
import { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ErasureReport, ReportPart } from "../../contracts/report";
import { UsageError } from "../../contracts/errors";
import { getErasureRequest, isSplitRequest, SplitRequest } from "../request";
import { readReport } from "./reportStore";
import { searchedOfParts, stateOfParts, verdictOfParts } from "../requestParts";
import { erasureVerdict, searchedOf } from "./verdict";

const latest = (times: (string | undefined)[]): string | undefined =>
  times.some((t) => t === undefined) ? undefined : (times as string[]).sort().at(-1);

/** `reports` are the parts' reports in the order of `split.parts` (every part's, or this throws). */
export function combinedReport(
  split: SplitRequest,
  reports: readonly ErasureReport[],
  now = new Date(),
): ErasureReport {
  if (reports.length !== split.parts.length || reports.some((r, i) => r.requestId !== split.parts[i]))
    throw new Error(
      `request ${split.requestId}: a report is needed for each of its ${split.parts.length} parts, in order`,
    );
  const n = reports.length;
  const label = (i: number) => `part ${i + 1}/${n}`;
  const parts: ReportPart[] = reports.map((r) => ({
    requestId: r.requestId,
    batchId: r.batchId,
    state: r.state,
    verdict: r.verdict ?? erasureVerdict(r.state, r.targets),
    subjectCount: r.subjectCount,
    ...(r.completedAt ? { completedAt: r.completedAt } : {}),
    ...(r.approval ? { approval: r.approval } : {}),
  }));
  const state = stateOfParts(parts.map((p) => p.state));
  // Parts of one request are never batched together (each is a batch's worth), but count a batch once.
  const batches = new Map(reports.map((r) => [r.batchId, r.batch]));
  const verified = reports.map((r) => r.verification);
  const dropped = reports.map((r) => r.rawIds);
  const completedAt = state === "COMPLETED" ? latest(reports.map((r) => r.completedAt)) : undefined;
  return {
    reportVersion: 1,
    requestId: split.requestId,
    batchId: reports[0].batchId,
    state,
    verdict: verdictOfParts(parts.map((p) => p.verdict))!,
    searched: searchedOfParts(reports.map((r) => r.searched ?? searchedOf(r.targets))),
    receivedAt: split.receivedAt,
    deadline: split.deadline,
    ...(completedAt ? { completedAt } : {}),
    ...(split.requestedBy ? { requestedBy: split.requestedBy } : {}),
    ...(split.reason ? { reason: split.reason } : {}),
    subjectHashes: reports.flatMap((r) => r.subjectHashes),
    subjectCount: split.subjectCount,
    batch: {
      requestCount: [...batches.values()].reduce((t, b) => t + b.requestCount, 0),
      subjectCount: [...batches.values()].reduce((t, b) => t + b.subjectCount, 0),
    },
    steps: reports.flatMap((r, i) => r.steps.map((s) => ({ ...s, step: `${label(i)} ${s.step}` }))),
    targets: reports.flatMap((r, i) => r.targets.map((t) => ({ ...t, name: `${t.name} (${label(i)})` }))),
    ...(verified.every((v) => v !== undefined)
      ? {
          verification: {
            remainingRows: verified.reduce((t, v) => t + v!.remainingRows, 0),
            rounds: Math.max(...verified.map((v) => v!.rounds)),
            ...(latest(verified.map((v) => v!.verifiedAt))
              ? { verifiedAt: latest(verified.map((v) => v!.verifiedAt)) }
              : {}),
            objectsChecked: verified.reduce((t, v) => t + v!.objectsChecked, 0),
            versionsChecked: verified.reduce((t, v) => t + v!.versionsChecked, 0),
            bytesScanned: verified.reduce((t, v) => t + (v!.bytesScanned ?? 0), 0),
          },
        }
      : {}),
    rawIdsDropped: reports.every((r) => r.rawIdsDropped),
    ...(dropped.every((d) => d !== undefined)
      ? {
          rawIds: {
            droppedAt: latest(dropped.map((d) => d!.droppedAt))!,
            versionsDeleted: dropped.reduce((t, d) => t + d!.versionsDeleted, 0),
          },
        }
      : {}),
    audit: reports
      .flatMap((r, i) => r.audit.map((e) => ({ ...e, event: `${label(i)} ${e.event}` })))
      .sort((a, b) => a.at.localeCompare(b.at)),
    generatedAt: now.toISOString(),
    parts,
  };
}

export interface RequestReportDeps {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
  reportBucket: string;
  requestsTable: string;
}

/**
 * A request's report: its own, or for a request split into parts the one their reports make once
 * each part has one. Otherwise a UsageError says why there is none: an unknown request, one still
 * under way, or the parts still without a report (each with its state).
 */
export async function readRequestReport(deps: RequestReportDeps, requestId: string): Promise<ErasureReport> {
  const own = await readReport(deps.s3, deps.reportBucket, requestId);
  if (own) return own;
  const get = (id: string) => getErasureRequest(deps.doc, deps.requestsTable, id);
  const item = (await get(requestId)) as Record<string, unknown> | undefined;
  if (item && isSplitRequest(item)) {
    const split = item as unknown as SplitRequest;
    const reports = await Promise.all(split.parts.map((id) => readReport(deps.s3, deps.reportBucket, id)));
    if (reports.every((r) => r !== undefined)) return combinedReport(split, reports as ErasureReport[]);
    const waiting: string[] = [];
    for (let i = 0; i < split.parts.length; i++)
      if (!reports[i])
        waiting.push(`part ${i + 1} ${split.parts[i]} (${(await get(split.parts[i]))?.status ?? "missing"})`);
    throw new UsageError(
      `request ${requestId} is split into ${split.parts.length} parts and its report is made of theirs: ` +
        `${waiting.length} have none yet: ${waiting.join(", ")}`,
    );
  }
  throw new UsageError(
    typeof item?.status === "string"
      ? `request ${requestId} is ${item.status}: its report is written when its batch ends`
      : `no request ${requestId} in this stack (no report in s3://${deps.reportBucket})`,
  );
}
