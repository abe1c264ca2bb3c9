// The purge function's reply to a console invocation: one readable line per object, and the figures.
import type { ForgetOutcome } from "./forgetObject";

export interface ObjectReport {
  object: string;
  outcome: ForgetOutcome["outcome"];
  message: string;
  batchId?: string;
  rowsRemoved?: number;
  versionsWritten?: string[];
  versionsDeleted?: string[];
  bytesIn?: number;
  bytesOut?: number;
  fencingToken?: number;
  reason?: string;
}

export function objectReport(o: ForgetOutcome): ObjectReport {
  const object = o.label.bucket && o.label.key ? `s3://${o.label.bucket}/${o.label.key}` : "(unnamed object)";
  const base = { object, outcome: o.outcome, batchId: o.label.batchId };
  switch (o.outcome) {
    case "purged":
    case "nothing-to-do": {
      const r = o.report;
      const message =
        o.outcome === "purged"
          ? `${object}: ${r.rowsRemoved} row(s) removed, ${r.versionsWritten.length} version(s) written, ` +
            `${r.versionsDeleted.length} version(s) deleted (${r.bytesIn} bytes in, ${r.bytesOut} out)`
          : `${object}: no version holds a subject of batch ${r.batchId}; nothing written`;
      return {
        ...base,
        message,
        rowsRemoved: r.rowsRemoved,
        versionsWritten: r.versionsWritten,
        versionsDeleted: r.versionsDeleted,
        bytesIn: r.bytesIn,
        bytesOut: r.bytesOut,
        fencingToken: r.fencingToken,
      };
    }
    case "already-done":
      return {
        ...base,
        message: `${object}: already done for batch ${o.entry.batchId} (${o.entry.outcome} at ${o.entry.updatedAt})`,
        rowsRemoved: o.entry.rowsRemoved,
        versionsDeleted: o.entry.versionsDeleted,
      };
    case "cancelled":
      return { ...base, message: `${object}: batch ${o.label.batchId} is cancelled; nothing done` };
    case "failed":
    case "retry":
      return {
        ...base,
        message: `${object}: ${o.outcome === "retry" ? "not done now, try again" : "failed"}: ${o.error.message}`,
        reason: o.error.kind,
      };
  }
}
