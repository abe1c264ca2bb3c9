// The report task, the state machine's last step for a batch that verified clean (verify.hits == 0)
// or that a person rejected. Per request it writes the report (runtime/contracts/report.ts) to the
// report bucket, drops the raw IDs everywhere Lethe kept them (every version of the batch manifest and
// of the request's ID file, and any raw-ID attribute of the request record), gives the request its TTL
// and the report's location, and ends a verified batch and its requests COMPLETED.
//
// A Lambda retry after a partial run finishes the job: each request's keyed hashes are written into
// its report before any raw ID is deleted (a retry reads them back from there), deleting what is gone
// already deletes nothing, counts of what was deleted are kept on the records, the state move is made
// only from VERIFYING, and audit entries are appended once per batch.
//
// After the NeedsAttention state (its reply at `$.attention`) the same task writes each request a
// signed report of a batch that stopped: what was done so far, why it stopped, what resumes it. It
// drops no raw ID and moves nothing: the requests stay NEEDS_ATTENTION for `lethe retry`, and a retry
// that completes writes the final report in its place.
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { UsageError } from "../../../contracts/errors";
import type { ManifestRef } from "../../../contracts/messages";
import type {
  ErasureReport,
  ReportAttention,
  ReportOrigin,
  ReportStep,
  ReportTarget,
} from "../../../contracts/report";
import { reportUri } from "../../../contracts/report";
import type { ErasureState } from "../../../contracts/requests";
import { ttlAttribute } from "../../../contracts/tables";
import { appendAudit, AuditEntry, AuditSettings, readAudit, withStoredDetails } from "../../audit";
import { checkAuditChain } from "../../auditChain";
import { BatchRecord, BatchTables, getBatch, moveBatch, recordStep } from "../../batches";
import { ForgetLedger } from "../../forget/ledger";
import { findPlanMappers, ledgerByMapper, lakeTargets } from "../../report/lakeTargets";
import { deleteEveryVersion } from "../../report/everyVersion";
import { ReportBucket, readReport, writeReport } from "../../report/reportStore";
import type { ReportSigner } from "../../report/reportSigner";
import { erasureVerdict, searchedOf } from "../../report/verdict";
import { hashIdFile, rawIdAttributes } from "../../report/requestIds";
import { clearIdempotencyRecord } from "../../idempotencyRecord";
import type { ErasureSettings } from "../../settings";
import type { SubjectHasher } from "../../../subjects/subjectHash";

export interface ReportTaskDeps extends BatchTables {
  s3: S3Client;
  audit: AuditSettings;
  reportBucket: ReportBucket;
  erasure: Pick<ErasureSettings, "requestRetentionDays">;
  /** Only called when a request record holds no hashes and its ID file must be hashed. */
  hasher: () => Promise<SubjectHasher>;
  /** The request function's idempotency table: each request's record is cleared with its raw IDs. */
  idempotencyTable?: string;
  /** Signs each report (the stack's report signing key); without it reports are written unsigned. */
  signer?: ReportSigner;
  /** The stack, account, region, program version and emulator flag each report names. */
  origin?: ReportOrigin;
  now?: () => Date;
}

/** The state machine's state as the Report state gets it (it has no Parameters: the whole state). */
export interface ReportTaskInput {
  batchId: string;
  deadline?: string;
  round?: number;
  /** Where the round's plan is (`{location, objects, ...}`): find's, or after a verify round verify's. */
  plan?: unknown;
  verify?: { hits?: number };
  /** The stores' Parallel puts the lake branch's verify reply here. */
  outcome?: { lake?: { verify?: { hits?: number } } };
  approval?: { decision?: string };
  /** The NeedsAttention state's reply: the batch stopped (its status and why). */
  attention?: { status?: string; reason?: string };
}

/** Verify's last reply: at the top of the state, or inside the lake's branch outcome. */
function lastVerify(input: ReportTaskInput): { hits?: number } | undefined {
  return input.verify ?? input.outcome?.lake?.verify;
}

export interface ReportedRequest {
  requestId: string;
  state: ErasureState;
  report: string;
  subjects: number;
  rawIdVersionsDeleted: number;
}

export interface ReportTaskReply {
  batchId: string;
  state: ErasureState;
  requests: ReportedRequest[];
  counts: {
    requests: number;
    subjects: number;
    objectsRewritten: number;
    versionsDeleted: number;
    rowsRemoved: number;
    bytesScanned: number;
    rawIdVersionsDeleted: number;
  };
  message: string;
}

export function parseReportInput(input: unknown): ReportTaskInput {
  const e = input as Partial<ReportTaskInput> | null;
  if (!e || typeof e !== "object" || typeof e.batchId !== "string" || e.batchId === "") {
    throw new UsageError('report: the input must be the state machine\'s state, {"batchId": "...", ...}');
  }
  return e as ReportTaskInput;
}

type RequestItem = Record<string, unknown> & { requestId: string; status: ErasureState };

async function requestItem(t: BatchTables, requestId: string): Promise<RequestItem> {
  const r = await t.doc.send(
    new GetCommand({ TableName: t.requestsTable, Key: { requestId }, ConsistentRead: true }),
  );
  if (!r.Item) throw new Error(`report: request ${requestId} of the batch does not exist`);
  return r.Item as RequestItem;
}

function idsFileOf(item: RequestItem): ManifestRef | undefined {
  const f = item.idsFile as Partial<ManifestRef> | undefined;
  return f && typeof f.bucket === "string" && typeof f.key === "string"
    ? { bucket: f.bucket, key: f.key, ...(f.versionId ? { versionId: f.versionId } : {}) }
    : undefined;
}

/** The batch's manifest folder (`erasure-manifests/batch_id=<id>/`): the manifest and anything beside it. */
function manifestFolder(m: ManifestRef): { bucket: string; prefix: string } {
  return { bucket: m.bucket, prefix: m.key.slice(0, m.key.lastIndexOf("/") + 1) };
}

const auditTime = (e: AuditEntry) => e.at.split("#")[0];

export async function reportBatch(deps: ReportTaskDeps, rawInput: unknown): Promise<ReportTaskReply> {
  const input = parseReportInput(rawInput);
  const { batchId } = input;
  const now = () => (deps.now ?? (() => new Date()))();
  let batch = await getBatch(deps, batchId);
  if (!batch) throw new UsageError(`report: batch ${batchId} does not exist`);
  if (input.attention !== undefined) return reportAttention(deps, input, batch, now);

  const rejected = batch.status === "REJECTED" || input.approval?.decision === "reject";
  if (rejected && batch.status !== "REJECTED") {
    throw new Error(`report: batch ${batchId} was rejected but is ${batch.status}, not REJECTED`);
  }
  if (!rejected) {
    if (batch.status !== "VERIFYING" && batch.status !== "COMPLETED") {
      throw new Error(
        `report: batch ${batchId} is ${batch.status}; only a verified batch (VERIFYING) completes`,
      );
    }
    // The state's verify reply, else (a console event) what verify recorded on the batch.
    const verified = lastVerify(input);
    const hits = verified ? verified.hits : batch.steps?.verify?.counts?.hits;
    if (batch.status === "VERIFYING" && hits !== 0) {
      throw new Error(
        `report: batch ${batchId} has not verified clean (verify.hits is ${JSON.stringify(hits)})`,
      );
    }
  }
  const startedAt = batch.steps?.report?.startedAt ?? now().toISOString();
  const priorCounts = batch.steps?.report?.counts ?? {};
  await recordStep(deps, batchId, "report", { startedAt, counts: priorCounts });

  // What the batch did, the same for each of its requests.
  const ledger = await new ForgetLedger(deps.doc, deps.ledgerTable).summary(batchId);
  const planned = await findPlanMappers(deps.s3, input.plan);
  const targets: ReportTarget[] = [
    ...lakeTargets(planned, await ledgerByMapper(deps.doc, deps.ledgerTable, batchId), !rejected),
    ...Object.values(batch.storeOutcomes ?? {}).sort((a, b) => a.name.localeCompare(b.name)),
  ];

  const provenance = {
    ...(deps.origin ? { origin: deps.origin } : {}),
    ...(deps.signer ? { signedWith: deps.signer.key } : {}),
  };
  const items = new Map<string, RequestItem>();
  for (const id of batch.requestIds) items.set(id, await requestItem(deps, id));

  // 1. Each request's keyed hashes, written into its report before any raw ID goes.
  const hashes = new Map<string, string[]>();
  for (const [id, item] of items) {
    const h = await subjectHashesOf(deps, item);
    hashes.set(id, h);
    await writeReport(
      deps.s3,
      deps.reportBucket,
      buildReport({ batch, item, hashes: h, targets, input, rejected, audit: [], now: now(), ...provenance }),
      deps.signer,
    );
  }

  // 2. Drop the raw IDs: the manifest (every version), each ID file (every version), record attributes.
  const manifestVersionsDeleted =
    (priorCounts.manifestVersionsDeleted ?? 0) +
    (await deleteEveryVersion(deps.s3, manifestFolder(batch.manifest)));
  await recordStep(deps, batchId, "report", {
    startedAt,
    counts: { ...priorCounts, manifestVersionsDeleted },
  });
  const droppedAt = now().toISOString();
  for (const [id, item] of items) {
    const file = idsFileOf(item);
    const deleted = file ? await deleteEveryVersion(deps.s3, { bucket: file.bucket, key: file.key }) : 0;
    if (deps.idempotencyTable && typeof item.idempotencyKey === "string")
      await clearIdempotencyRecord(deps.doc, deps.idempotencyTable, item.idempotencyKey);
    const prior = item.rawIdsDropped as { at?: string; idFileVersionsDeleted?: number } | undefined;
    const names: Record<string, string> = { "#d": "rawIdsDropped" };
    rawIdAttributes.forEach((a, i) => (names[`#r${i}`] = a));
    const r = await deps.doc.send(
      new UpdateCommand({
        TableName: deps.requestsTable,
        Key: { requestId: id },
        ConditionExpression: "attribute_exists(requestId)",
        UpdateExpression: `SET #d = :d REMOVE ${rawIdAttributes.map((_, i) => `#r${i}`).join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ":d": {
            at: prior?.at ?? droppedAt,
            idFileVersionsDeleted: (prior?.idFileVersionsDeleted ?? 0) + deleted,
          },
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    items.set(id, r.Attributes as RequestItem);
  }

  // 3. A verified batch and its requests end COMPLETED (a retry finds them there).
  if (!rejected && batch.status === "VERIFYING") {
    await moveBatch(deps, batchId, "COMPLETED", { completedAt: now().toISOString() });
  }

  // 4. Each request: its TTL, its verdict, the audit entries of this step (once). Where its report is
  // comes only after step 5, so nobody following the request reads the preliminary one of step 1.
  const ttl = Math.floor(now().getTime() / 1000) + deps.erasure.requestRetentionDays * 86_400;
  const reported: ReportedRequest[] = [];
  for (const id of batch.requestIds) {
    const uri = reportUri(deps.reportBucket.bucket, id);
    const r = await deps.doc.send(
      new UpdateCommand({
        TableName: deps.requestsTable,
        Key: { requestId: id },
        ConditionExpression: "attribute_exists(requestId)",
        // The verdict and where Lethe looked, for `status` (counts and names of mappers, no ID).
        UpdateExpression: "SET #verdict = :verdict, #searched = :searched, #ttl = if_not_exists(#ttl, :ttl)",
        ExpressionAttributeNames: {
          "#verdict": "verdict",
          "#searched": "searched",
          "#ttl": ttlAttribute,
        },
        ExpressionAttributeValues: {
          // Step 3 ended a verified batch's requests COMPLETED; a rejected batch's are REJECTED.
          ":verdict": erasureVerdict(rejected ? "REJECTED" : "COMPLETED", targets),
          ":searched": searchedOf(targets),
          ":ttl": ttl,
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    const item = r.Attributes as RequestItem;
    items.set(id, item);
    const trail = await readAudit(deps.doc, deps.audit.tableName, id, deps.s3);
    const once = async (step: string, detail: Record<string, unknown>) => {
      if (!trail.some((e) => e.step === step && e.detail?.batchId === batchId)) {
        await appendAudit(deps.doc, deps.audit, id, step, { batchId, ...detail });
      }
    };
    const dropped = item.rawIdsDropped as { idFileVersionsDeleted: number };
    await once("raw-ids-dropped", {
      manifestVersionsDeleted,
      idFileVersionsDeleted: dropped.idFileVersionsDeleted,
      attributesRemoved: [...rawIdAttributes],
    });
    await once("reported", { state: item.status, report: uri, subjects: hashes.get(id)!.length });
    reported.push({
      requestId: id,
      state: item.status,
      report: uri,
      subjects: hashes.get(id)!.length,
      rawIdVersionsDeleted: manifestVersionsDeleted + dropped.idFileVersionsDeleted,
    });
  }

  const counts = {
    requests: reported.length,
    subjects: reported.reduce((n, r) => n + r.subjects, 0),
    objectsRewritten: targets.reduce((n, t) => n + (t.objectsRewritten ?? 0), 0),
    versionsDeleted: ledger.versionsDeleted,
    rowsRemoved: targets.reduce((n, t) => n + t.rowsRemoved, 0),
    bytesScanned: targets.reduce((n, t) => n + (t.bytesScanned ?? 0), 0),
    // The manifest is the batch's: counted once, not once per request.
    rawIdVersionsDeleted: reported.reduce(
      (n, r) => n + r.rawIdVersionsDeleted - manifestVersionsDeleted,
      manifestVersionsDeleted,
    ),
  };
  await recordStep(deps, batchId, "report", {
    startedAt,
    // A rerun of a finished report changes nothing, its end time included.
    endedAt: batch.steps?.report?.endedAt ?? now().toISOString(),
    counts: { ...counts, manifestVersionsDeleted },
  });

  // 5. The final reports: the batch as it ended, every step, the whole audit trail.
  batch = (await getBatch(deps, batchId))!;
  for (const r of reported) {
    const item = items.get(r.requestId)!;
    // The chain over the entries as stored (details in S3 count by the hash each entry recorded).
    const stored = await readAudit(deps.doc, deps.audit.tableName, r.requestId);
    const chain = checkAuditChain(stored as unknown as Record<string, unknown>[]);
    const audit = await withStoredDetails(stored, deps.s3);
    await writeReport(
      deps.s3,
      deps.reportBucket,
      buildReport({
        batch,
        item,
        hashes: hashes.get(r.requestId)!,
        targets,
        input,
        rejected,
        audit,
        auditChain: { entries: chain.entries, head: chain.head },
        now: now(),
        ...provenance,
      }),
      deps.signer,
    );
    await deps.doc.send(
      new UpdateCommand({
        TableName: deps.requestsTable,
        Key: { requestId: r.requestId },
        ConditionExpression: "attribute_exists(requestId)",
        UpdateExpression: "SET #report = :report",
        ExpressionAttributeNames: { "#report": "report" },
        ExpressionAttributeValues: { ":report": r.report },
      }),
    );
  }
  const state: ErasureState = rejected ? "REJECTED" : "COMPLETED";
  return {
    batchId,
    state,
    requests: reported,
    counts,
    message:
      `batch ${batchId} ${state}: ${counts.requests} report(s) written for ${counts.subjects} subject(s); ` +
      `${counts.rowsRemoved} row(s) removed from ${counts.objectsRewritten} object(s); ` +
      `${counts.rawIdVersionsDeleted} object version(s) holding raw IDs deleted`,
  };
}

/**
 * The report of a batch that stopped (the NeedsAttention state's reply at `$.attention`): each request
 * gets a signed NOT_COMPLETED report of what was done so far, why, and `lethe retry <batchId>`; its
 * record points at it. Raw IDs, states and TTLs are left as they are: the batch is to be resumed. A
 * batch that had ended otherwise (cancelled, rejected) gets nothing here.
 */
async function reportAttention(
  deps: ReportTaskDeps,
  input: ReportTaskInput,
  batch: BatchRecord,
  now: () => Date,
): Promise<ReportTaskReply> {
  const { batchId } = batch;
  const counts = {
    requests: 0,
    subjects: 0,
    objectsRewritten: 0,
    versionsDeleted: 0,
    rowsRemoved: 0,
    bytesScanned: 0,
    rawIdVersionsDeleted: 0,
  };
  if (input.attention?.status !== "NEEDS_ATTENTION" || batch.status !== "NEEDS_ATTENTION") {
    return {
      batchId,
      state: batch.status,
      requests: [],
      counts,
      message: `batch ${batchId} is ${batch.status}, not NEEDS_ATTENTION: no report of it needing attention`,
    };
  }
  const attention: ReportAttention = {
    reason: input.attention.reason ?? batch.reason ?? "the batch stopped without a reason it could name",
    action: `lethe retry ${batchId}`,
  };
  const ledger = await new ForgetLedger(deps.doc, deps.ledgerTable).summary(batchId);
  const targets: ReportTarget[] = [
    ...lakeTargets(
      await findPlanMappers(deps.s3, input.plan),
      await ledgerByMapper(deps.doc, deps.ledgerTable, batchId),
      true,
    ),
    ...Object.values(batch.storeOutcomes ?? {}).sort((a, b) => a.name.localeCompare(b.name)),
  ];
  const reported: ReportedRequest[] = [];
  for (const id of batch.requestIds) {
    const uri = reportUri(deps.reportBucket.bucket, id);
    let item = await requestItem(deps, id);
    const hashes = await subjectHashesOf(deps, item);
    const trail = await readAudit(deps.doc, deps.audit.tableName, id, deps.s3);
    // Once per stop: a Lambda retry appends nothing, a later stop of the retried batch does.
    const sinceRetry = trail.slice(trail.map((e) => e.step).lastIndexOf("retried") + 1);
    if (!sinceRetry.some((e) => e.step === "attention-reported" && e.detail?.batchId === batchId)) {
      await appendAudit(deps.doc, deps.audit, id, "attention-reported", {
        batchId,
        reason: attention.reason,
        report: uri,
      });
    }
    const r = await deps.doc.send(
      new UpdateCommand({
        TableName: deps.requestsTable,
        Key: { requestId: id },
        ConditionExpression: "attribute_exists(requestId)",
        UpdateExpression: "SET #report = :report, #verdict = :verdict, #searched = :searched",
        ExpressionAttributeNames: { "#report": "report", "#verdict": "verdict", "#searched": "searched" },
        ExpressionAttributeValues: {
          ":report": uri,
          ":verdict": erasureVerdict("NEEDS_ATTENTION", targets),
          ":searched": searchedOf(targets),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    item = r.Attributes as RequestItem;
    const stored = await readAudit(deps.doc, deps.audit.tableName, id);
    const chain = checkAuditChain(stored as unknown as Record<string, unknown>[]);
    await writeReport(
      deps.s3,
      deps.reportBucket,
      buildReport({
        batch,
        item,
        hashes,
        targets,
        input,
        rejected: false,
        audit: await withStoredDetails(stored, deps.s3),
        auditChain: { entries: chain.entries, head: chain.head },
        attention,
        now: now(),
        ...(deps.origin ? { origin: deps.origin } : {}),
        ...(deps.signer ? { signedWith: deps.signer.key } : {}),
      }),
      deps.signer,
    );
    reported.push({
      requestId: id,
      state: item.status,
      report: uri,
      subjects: hashes.length,
      rawIdVersionsDeleted: 0,
    });
  }
  Object.assign(counts, {
    requests: reported.length,
    subjects: reported.reduce((n, r) => n + r.subjects, 0),
    objectsRewritten: targets.reduce((n, t) => n + (t.objectsRewritten ?? 0), 0),
    versionsDeleted: ledger.versionsDeleted,
    rowsRemoved: targets.reduce((n, t) => n + t.rowsRemoved, 0),
    bytesScanned: targets.reduce((n, t) => n + (t.bytesScanned ?? 0), 0),
  });
  return {
    batchId,
    state: "NEEDS_ATTENTION",
    requests: reported,
    counts,
    message:
      `batch ${batchId} NEEDS_ATTENTION: ${counts.requests} report(s) of what was done so far written for ` +
      `${counts.subjects} subject(s); resume it with lethe retry ${batchId}`,
  };
}

/**
 * The record's hashes, else its hashes file's (a large request's, beside its ID file), else its ID
 * file's, else (a retry after the file went) the report's.
 */
async function subjectHashesOf(deps: ReportTaskDeps, item: RequestItem): Promise<string[]> {
  if (Array.isArray(item.subjectHashes) && item.subjectHashes.length > 0)
    return item.subjectHashes as string[];
  const hashesFile = item.subjectHashesFile as Partial<ManifestRef> | undefined;
  if (hashesFile && typeof hashesFile.bucket === "string" && typeof hashesFile.key === "string") {
    const o = await deps.s3.send(
      new GetObjectCommand({
        Bucket: hashesFile.bucket,
        Key: hashesFile.key,
        VersionId: hashesFile.versionId,
      }),
    );
    const list = JSON.parse(await o.Body!.transformToString("utf8")) as unknown;
    if (Array.isArray(list) && list.every((h) => typeof h === "string")) return list as string[];
    throw new Error(
      `report: s3://${hashesFile.bucket}/${hashesFile.key} is not a JSON array of subject hashes`,
    );
  }
  const file = idsFileOf(item);
  if (file) {
    const fromFile = await hashIdFile(deps.s3, file, await deps.hasher());
    if (fromFile) return fromFile;
  }
  const earlier = await readReport(deps.s3, deps.reportBucket.bucket, item.requestId);
  if (earlier && earlier.subjectHashes.length > 0) return earlier.subjectHashes;
  throw new Error(
    `report: request ${item.requestId} has no subject hashes, no ID file and no earlier report to take them from`,
  );
}

interface ReportFacts {
  batch: BatchRecord;
  item: RequestItem;
  hashes: string[];
  targets: ReportTarget[];
  input: ReportTaskInput;
  rejected: boolean;
  audit: AuditEntry[];
  auditChain?: ErasureReport["auditChain"];
  /** A batch that stopped: the report says why and what to do, and verification only if verify ran. */
  attention?: ReportAttention;
  origin?: ReportOrigin;
  signedWith?: ErasureReport["signedWith"];
  now: Date;
}

/** One request's report out of what the records say (pure). */
export function buildReport(f: ReportFacts): ErasureReport {
  const { batch, item } = f;
  const steps: ReportStep[] = Object.entries(batch.steps ?? {})
    .map(([step, s]) => ({
      step,
      startedAt: s.startedAt,
      ...(s.endedAt ? { endedAt: s.endedAt } : {}),
      ...(s.counts ? { counts: s.counts } : {}),
    }))
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.step.localeCompare(b.step));
  const verify = batch.steps?.verify;
  const vc = verify?.counts ?? {};
  const dropped = item.rawIdsDropped as { at: string; idFileVersionsDeleted: number } | undefined;
  const manifestVersions = batch.steps?.report?.counts?.manifestVersionsDeleted ?? 0;
  const a = batch.approval;
  return {
    reportVersion: 1,
    requestId: item.requestId,
    batchId: batch.batchId,
    state: item.status,
    verdict: erasureVerdict(item.status, f.targets),
    searched: searchedOf(f.targets),
    receivedAt: String(item.receivedAt),
    deadline: String(item.deadline),
    ...(item.status === "COMPLETED" && batch.completedAt ? { completedAt: batch.completedAt } : {}),
    ...(typeof item.requestedBy === "string" ? { requestedBy: item.requestedBy } : {}),
    ...(typeof item.reason === "string" ? { reason: item.reason } : {}),
    subjectHashes: f.hashes,
    subjectCount: typeof item.subjectCount === "number" ? item.subjectCount : f.hashes.length,
    batch: { requestCount: batch.requestIds.length, subjectCount: batch.subjectCount },
    steps,
    targets: f.targets,
    ...(f.rejected || (f.attention && !verify)
      ? {}
      : f.attention
        ? {
            verification: {
              remainingRows: vc.remainingRows ?? 0,
              rounds: vc.rounds ?? (f.input.round ?? 0) + 1,
              ...(verify?.endedAt ? { verifiedAt: verify.endedAt } : {}),
              objectsChecked: vc.objectsChecked ?? 0,
              versionsChecked: vc.versionsChecked ?? 0,
              ...(vc.bytesScanned !== undefined ? { bytesScanned: vc.bytesScanned } : {}),
            },
          }
        : {
            verification: {
              // Report runs only after verify found nothing (checked above), or on the retry of a batch it completed.
              remainingRows: lastVerify(f.input)?.hits ?? 0,
              rounds: vc.rounds ?? (f.input.round ?? 0) + 1,
              ...(verify?.endedAt ? { verifiedAt: verify.endedAt } : {}),
              objectsChecked: vc.objectsChecked ?? vc.objects ?? 0,
              versionsChecked: vc.versionsChecked ?? vc.versions ?? 0,
              ...(vc.bytesScanned !== undefined ? { bytesScanned: vc.bytesScanned } : {}),
            },
          }),
    rawIdsDropped: dropped !== undefined,
    ...(dropped
      ? {
          rawIds: {
            droppedAt: dropped.at,
            versionsDeleted: manifestVersions + dropped.idFileVersionsDeleted,
          },
        }
      : {}),
    // The decision without the task token (a credential to resume the execution).
    ...(a?.decision
      ? {
          approval: {
            decision: a.decision,
            ...(a.by ? { by: a.by } : {}),
            ...(a.reason ? { reason: a.reason } : {}),
            ...(a.decidedAt ? { decidedAt: a.decidedAt } : {}),
          },
        }
      : {}),
    ...(f.attention ? { attention: f.attention } : {}),
    audit: f.audit.map((e) => ({
      at: auditTime(e),
      event: e.step,
      ...(e.detail && Object.keys(e.detail).length ? { detail: e.detail } : {}),
    })),
    generatedAt: f.now.toISOString(),
    ...(f.origin ? { producedBy: f.origin } : {}),
    ...(f.auditChain ? { auditChain: f.auditChain } : {}),
    ...(f.signedWith ? { signedWith: f.signedWith } : {}),
  };
}
