// The report of one erasure request: what the `report` task writes to the report bucket (JSON), what
// `status` points at, and what `lethe report` renders as Markdown or an HTML certificate. Subjects
// appear only as keyed hashes (HMAC with the stack's subject hash key): the report proves what was
// erased without holding what it erased.
import type { ErasureState } from "./requests";
import type { ReportSigningKey } from "./reportSignature";

/** Where a request's report lives in the report bucket. */
export function reportKey(requestId: string): string {
  return `reports/request_id=${requestId}/report.json`;
}

/** The report's location as the request record and `status` give it. */
export function reportUri(bucket: string, requestId: string): string {
  return `s3://${bucket}/${reportKey(requestId)}`;
}

/** One step of the batch's run, as the state machine's tasks recorded it on the batch. */
export interface ReportStep {
  /** find | approval | forget | verify | report, and the stores' names. */
  step: string;
  startedAt: string;
  endedAt?: string;
  /** Counts of what the step did (objects, rows, bytes...). */
  counts?: Record<string, number>;
}

/** What one data mapper (a lake table) or store gave up. */
export interface ReportTarget {
  kind: "lake" | "dynamodb" | "postgres" | "subsystem";
  name: string;
  /** `not-run`: the batch was rejected before anything was erased. */
  outcome: "erased" | "nothing-found" | "failed" | "needs-attention" | "not-run";
  /** What the plan found (lake mappers): objects, their versions and the rows the index expected. */
  objectsPlanned?: number;
  versionsPlanned?: number;
  rowsExpected?: number;
  objectsRewritten?: number;
  versionsDeleted?: number;
  rowsRemoved: number;
  bytesScanned?: number;
  /** Why it failed, for a person (never an ID). */
  reason?: string;
}

/**
 * What the report proves, in one word: `ERASED` (data of the subjects was found and removed, and
 * verified gone), `NOTHING_FOUND` (every mapper and store listed was searched and held none of it),
 * `NOT_COMPLETED` (the request ended otherwise: rejected, cancelled, or needing attention).
 */
export type ErasureVerdict = "ERASED" | "NOTHING_FOUND" | "NOT_COMPLETED";

/** Where Lethe looked for the subjects' data: every data mapper and store, and the bytes find scanned. */
export interface ReportSearched {
  mappers: string[];
  stores: string[];
  bytesScanned: number;
}

export interface ReportAuditEntry {
  at: string;
  event: string;
  /** Counts and keyed hashes only. */
  detail?: Record<string, unknown>;
}

export interface ErasureReport {
  /** Bumped when a field changes meaning. */
  reportVersion: 1;
  requestId: string;
  batchId: string;
  state: ErasureState;
  /** Absent from reports written before it existed: reportView works it out from `state` and `targets`. */
  verdict?: ErasureVerdict;
  searched?: ReportSearched;
  receivedAt: string;
  deadline: string;
  completedAt?: string;
  /** Who filed it and why, as the intake recorded them. */
  requestedBy?: string;
  reason?: string;
  /** The subjects, as keyed hashes (`hmac-sha256:<hex>`), and how many. */
  subjectHashes: string[];
  subjectCount: number;
  /**
   * The batch the request was erased in. Objects are rewritten once per batch, so the steps, targets
   * and verification below are the batch's: they cover this request's subjects and its batch-mates'.
   */
  batch: { requestCount: number; subjectCount: number };
  steps: ReportStep[];
  targets: ReportTarget[];
  /** Absent when the batch was rejected before anything was erased (nothing to verify). */
  verification?: {
    /** Matching rows found by the last verify, over every version of every object and the new partitions. */
    remainingRows: number;
    rounds: number;
    verifiedAt?: string;
    /** What verify looked at: objects and versions read, partitions written since the find began. */
    objectsChecked: number;
    versionsChecked: number;
    /** Bytes verify's re-find scanned (Athena), when it recorded them. */
    bytesScanned?: number;
  };
  /** Confirms the raw IDs were dropped from the manifest, the request record and the ID files. */
  rawIdsDropped: boolean;
  /** When they were dropped, and how many S3 object versions holding them were deleted. */
  rawIds?: { droppedAt: string; versionsDeleted: number };
  approval?: { decision: "approve" | "reject"; by?: string; reason?: string; decidedAt?: string };
  /**
   * A batch that stopped and needs a person (state NEEDS_ATTENTION): why (no ID) and what to do. The
   * request is not ended: a retry that completes writes the final report in this one's place.
   */
  attention?: ReportAttention;
  audit: ReportAuditEntry[];
  generatedAt: string;
  /** Where the report was made: the stack, its account and region, the program's version, an emulator or AWS. */
  producedBy?: ReportOrigin;
  /**
   * The request's audit trail as the report saw it: entries and the hash of the last one (each entry
   * carries the hash of the one before it: runtime/erasure/auditChain.ts), so the signature covers
   * the whole chain up to here and `lethe audit verify` can show nothing in it changed since.
   */
  auditChain?: { entries: number; head: string };
  /** The key the report is signed with (the signature itself is kept beside the bytes: reportSignature.ts). */
  signedWith?: ReportSigningKey;
  /**
   * A request larger than one batch (split into parts at intake): each part and the batch it was
   * erased in. The steps, targets and verification above are then every part's, each named by its part.
   */
  parts?: ReportPart[];
}

export interface ReportAttention {
  /** The failure(s) that stopped the batch, as the needsAttention task named them. */
  reason: string;
  /** What resumes the batch: `lethe retry <batchId>`. */
  action: string;
}

export interface ReportOrigin {
  /** The Pulumi stack. */
  stack?: string;
  account?: string;
  region?: string;
  /** The program's git commit when it was deployed (`-dirty` when the tree had changes). */
  programVersion?: string;
  /** True when the stack ran on the local emulator (moto), not AWS. */
  emulator: boolean;
}

/** One part of a request larger than one batch, as its own report says it ended. */
export interface ReportPart {
  requestId: string;
  batchId: string;
  state: ErasureState;
  verdict?: ErasureVerdict;
  subjectCount: number;
  completedAt?: string;
  approval?: ErasureReport["approval"];
}
