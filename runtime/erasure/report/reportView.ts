// What the Markdown and HTML renderings of a report show, worked out once: totals, the verdict, the
// deadline kept or missed, step durations, and values as a person reads them (bytes, times). Plain
// strings: each renderer escapes them for its own format.
import type { ErasureReport, ReportTarget } from "../../contracts/report";
import { erasureVerdict, searchedOf, searchedText } from "./verdict";

export interface ReportView {
  title: string;
  verdict: string;
  /** `ok` for COMPLETED, `stop` for REJECTED/CANCELLED, `warn` otherwise. */
  tone: "ok" | "stop" | "warn";
  facts: [string, string][];
  totals: [string, string][];
  steps: { step: string; started: string; ended: string; took: string; counts: string }[];
  targets: {
    kind: string;
    name: string;
    outcome: string;
    planned: string;
    objects: string;
    versions: string;
    rows: string;
    scanned: string;
    reason: string;
  }[];
  verification: [string, string][];
  approval: [string, string][];
  /** A batch that stopped: why, and what resumes it (empty otherwise). */
  attention: [string, string][];
  rawIds: string;
  /** Who signed it (key, fingerprint) and where the signature is. */
  signature: [string, string][];
  /** Each count's label and its field in the report's JSON, for whoever checks one against the other. */
  fields: [string, string][];
  subjects: string[];
  audit: { at: string; event: string; detail: string }[];
  footer: string;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]} (${n.toLocaleString("en-GB")} bytes)`;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  return Number.isNaN(t)
    ? iso
    : new Date(t)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC");
}

export function formatDuration(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return "—";
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = s / 60;
  return m < 120 ? `${m.toFixed(1)} min` : `${(m / 60).toFixed(1)} h`;
}

const count = (n: number | undefined) => (n === undefined ? "—" : n.toLocaleString("en-GB"));

function countsText(counts: Record<string, unknown> | undefined): string {
  if (!counts) return "";
  return Object.entries(counts)
    .map(([k, v]) => `${k} ${typeof v === "number" ? v.toLocaleString("en-GB") : String(v)}`)
    .join(", ");
}

/** An audit detail as one line: long lists are counted, not spelled out (the subjects are listed once). */
function detailText(detail: Record<string, unknown> | undefined): string {
  if (!detail) return "";
  return Object.entries(detail)
    .map(([k, v]) => {
      if (Array.isArray(v)) return `${k}: ${v.length > 3 ? `${v.length} items` : v.map(String).join(", ")}`;
      if (v && typeof v === "object") return `${k}: ${JSON.stringify(v)}`;
      return `${k}: ${String(v)}`;
    })
    .join("; ");
}

const outcomeLabel: Record<ReportTarget["outcome"], string> = {
  erased: "erased",
  "nothing-found": "nothing found",
  failed: "FAILED",
  "needs-attention": "needs attention",
  "not-run": "not run (rejected)",
};

/** Every count a rendering shows, by its label, and where it is in the report's JSON. */
const countFields: [string, string][] = [
  ["Subjects", "subjectCount"],
  ["Batch: requests, subjects", "batch.requestCount, batch.subjectCount"],
  ["Searched: data mappers, stores", "searched.mappers, searched.stores"],
  ["Bytes scanned by find", "searched.bytesScanned (the sum of targets[].bytesScanned)"],
  [
    "Plan: objects, versions, rows",
    "targets[].objectsPlanned, targets[].versionsPlanned, targets[].rowsExpected",
  ],
  ["Objects rewritten", "targets[].objectsRewritten"],
  ["Versions deleted", "targets[].versionsDeleted"],
  ["Rows removed", "targets[].rowsRemoved"],
  ["Matching rows remaining", "verification.remainingRows"],
  ["Verify rounds", "verification.rounds"],
  ["Objects checked", "verification.objectsChecked"],
  ["Object versions checked", "verification.versionsChecked"],
  ["Bytes scanned by verify", "verification.bytesScanned"],
  ["Raw ID object versions deleted", "rawIds.versionsDeleted"],
  ["Step counts", "steps[].counts"],
  ["Audit chain: entries, head", "auditChain.entries, auditChain.head"],
];

/** `signed`: the rendering carries the signature (a certificate of the report as stored). */
export function reportView(r: ErasureReport, signed = false): ReportView {
  const sum = (f: (t: ReportTarget) => number | undefined) => r.targets.reduce((n, t) => n + (f(t) ?? 0), 0);
  const deadlineKept =
    r.completedAt !== undefined ? Date.parse(r.completedAt) <= Date.parse(r.deadline) : undefined;
  const outcome = r.verdict ?? erasureVerdict(r.state, r.targets);
  const searched = r.searched ?? searchedOf(r.targets);
  const late = deadlineKept === false ? " (after the deadline)" : "";
  const verdict =
    outcome === "ERASED"
      ? `Erased and verified: no matching row remains in any version of any object or store checked${late}`
      : outcome === "NOTHING_FOUND"
        ? `Nothing found: no data of the subjects was found in ${searchedText(searched)}; ` +
          `${formatBytes(searched.bytesScanned)} scanned; nothing needed erasing${late}`
        : r.state === "REJECTED"
          ? `Rejected: nothing was erased${r.approval?.reason ? ` (${r.approval.reason})` : ""}`
          : r.attention
            ? `Not completed: the erasure stopped and needs attention; what was done so far is below. ` +
              `Resume it with ${r.attention.action}`
            : `Not completed: the request is ${r.state}`;
  const facts: [string, string][] = [
    ["Request", r.requestId],
    ["State", r.state],
    ["Verdict", outcome],
    ["Searched", `${searchedText(searched)}; ${formatBytes(searched.bytesScanned)} scanned by find`],
    ["Received", formatTime(r.receivedAt)],
    ["Deadline", formatTime(r.deadline)],
    [
      "Completed",
      r.completedAt
        ? `${formatTime(r.completedAt)} (${deadlineKept ? "within the deadline" : "AFTER the deadline"})`
        : "—",
    ],
    ["Requested by", r.requestedBy ?? "—"],
    ["Reason", r.reason ?? "—"],
    ["Subjects", count(r.subjectCount)],
    r.parts
      ? [
          "Batches",
          // A request larger than one batch: every part and the batch it was erased in.
          r.parts
            .map(
              (p, i) =>
                `part ${i + 1}/${r.parts!.length} ${p.requestId}: ${count(p.subjectCount)} subject(s), ` +
                `batch ${p.batchId}, ${p.state}${p.verdict ? ` (${p.verdict})` : ""}`,
            )
            .join("; "),
        ]
      : [
          "Batch",
          `${r.batchId} (${count(r.batch?.requestCount)} request(s), ${count(r.batch?.subjectCount)} subject(s))`,
        ],
    ...((r.producedBy
      ? [
          ["Stack", r.producedBy.stack ?? "—"],
          ["Account, region", `${r.producedBy.account ?? "—"}, ${r.producedBy.region ?? "—"}`],
          ["Program version", r.producedBy.programVersion ?? "—"],
          [
            "Ran on",
            r.producedBy.emulator
              ? "the local emulator (moto): a demonstration, not an erasure in AWS"
              : "AWS",
          ],
        ]
      : []) as [string, string][]),
    [
      "Audit chain",
      r.auditChain
        ? `${count(r.auditChain.entries)} entries, head ${r.auditChain.head} (lethe audit verify ${r.requestId})`
        : "—",
    ],
  ];
  const totals: [string, string][] = [
    ["Rows removed", count(sum((t) => t.rowsRemoved))],
    ["Objects rewritten", count(sum((t) => t.objectsRewritten))],
    ["Object versions deleted", count(sum((t) => t.versionsDeleted))],
    ["Bytes scanned by find", formatBytes(sum((t) => t.bytesScanned))],
    [
      "Verification",
      r.verification
        ? r.verification.remainingRows === 0
          ? "passed: 0 matching rows remain"
          : `FAILED: ${count(r.verification.remainingRows)} matching row(s) remain`
        : "not run",
    ],
  ];
  const v = r.verification;
  return {
    title: "Certificate of erasure",
    verdict,
    tone:
      r.state === "COMPLETED" ? "ok" : r.state === "REJECTED" || r.state === "CANCELLED" ? "stop" : "warn",
    facts,
    totals,
    steps: r.steps.map((s) => ({
      step: s.step,
      // The table's header says UTC once.
      started: formatTime(s.startedAt).replace(/ UTC$/, ""),
      ended: formatTime(s.endedAt).replace(/ UTC$/, ""),
      took: formatDuration(s.startedAt, s.endedAt),
      counts: countsText(s.counts),
    })),
    targets: r.targets.map((t) => ({
      kind: t.kind,
      name: t.name,
      outcome: outcomeLabel[t.outcome] ?? t.outcome,
      planned:
        t.objectsPlanned === undefined
          ? "—"
          : `${count(t.objectsPlanned)} object(s), ${count(t.versionsPlanned)} version(s), ${count(t.rowsExpected)} row(s)`,
      objects: count(t.objectsRewritten),
      versions: count(t.versionsDeleted),
      rows: count(t.rowsRemoved),
      scanned: t.bytesScanned === undefined ? "—" : formatBytes(t.bytesScanned),
      reason: t.reason ?? "",
    })),
    verification: v
      ? [
          ["Matching rows remaining", count(v.remainingRows)],
          ["Verify rounds", count(v.rounds)],
          ["Objects checked", count(v.objectsChecked)],
          ["Object versions checked", count(v.versionsChecked)],
          ["Bytes scanned by verify", v.bytesScanned === undefined ? "—" : formatBytes(v.bytesScanned)],
          ["Verified", formatTime(v.verifiedAt)],
        ]
      : [],
    approval: r.approval
      ? [
          ["Decision", r.approval.decision === "approve" ? "approved" : "rejected"],
          ["By", r.approval.by ?? "—"],
          ["Reason", r.approval.reason || "—"],
          ["Decided", formatTime(r.approval.decidedAt)],
        ]
      : [],
    attention: r.attention
      ? [
          ["Why", r.attention.reason],
          [
            "What to do",
            `${r.attention.action} (resumes the batch from its last forget round, else from find)`,
          ],
          [
            "Afterwards",
            "a retry that completes writes the final report in this one's place; the request stays " +
              "NEEDS_ATTENTION until then",
          ],
        ]
      : [],
    rawIds: r.rawIdsDropped
      ? `Dropped ${formatTime(r.rawIds?.droppedAt)}: ${count(r.rawIds?.versionsDeleted)} S3 object version(s) ` +
        "holding them (the batch manifest, the request's ID file) deleted, every version; none remains in " +
        "Lethe's tables."
      : r.attention
        ? "Kept for the retry (the batch manifest, the request's ID file): dropped when the request " +
          "completes, or lethe:failedRequestIdGraceDays past its deadline."
        : "NOT dropped yet.",
    signature: r.signedWith
      ? [
          [
            "Algorithm",
            `${r.signedWith.algorithm} (ECDSA P-256 over the SHA-256 of the report's JSON as stored)`,
          ],
          ["Signing key", r.signedWith.keyArn],
          ["Public key fingerprint", r.signedWith.fingerprint],
          [
            "Signature",
            signed
              ? "embedded in this file with the signed report: lethe report verify <this file> [--public-key stack.pem]"
              : "kept beside the report (the report object's metadata; report.json.sig beside a saved report.json)",
          ],
        ]
      : [
          [
            "Signature",
            "none: this report was not signed (written before signing, or put together from its parts)",
          ],
        ],
    fields: countFields,
    subjects: r.subjectHashes,
    audit: r.audit.map((e) => ({ at: formatTime(e.at), event: e.event, detail: detailText(e.detail) })),
    footer:
      `Report version ${r.reportVersion}, generated ${formatTime(r.generatedAt)}. Subjects appear only as keyed ` +
      "hashes (HMAC-SHA-256 under the stack's KMS key): this document holds no customer ID.",
  };
}
