// The audit trail's hash chain: each entry of a request carries `previousHash`, the SHA-256 of the
// entry before it in its canonical form (the first entry chains from `auditGenesisHash`), so an entry
// changed, removed or slipped in afterwards breaks the chain at the first one that no longer fits.
// The report holds the head (runtime/contracts/report.ts `auditChain`) under its signature.
import { createHash } from "node:crypto";

/** What the first entry of every request chains from. */
export const auditGenesisHash = `sha256:${"0".repeat(64)}`;

/** JSON with object keys sorted at every level: the same entry always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** `sha256:<hex>` of an audit item as stored in the table (its detail in S3 counts by its `sha256`). */
export function auditEntryHash(item: Record<string, unknown>): string {
  return `sha256:${createHash("sha256").update(canonicalJson(item), "utf8").digest("hex")}`;
}

export interface AuditChainBreak {
  /** 0-based position in the request's trail (in `at` order). */
  index: number;
  at: string;
  step: string;
  problem: string;
}

export interface AuditChainCheck {
  entries: number;
  /** The hash of the last entry (what a report's `auditChain.head` is compared with). */
  head: string;
  /** The first entry that does not fit, if any. */
  broken?: AuditChainBreak;
}

/**
 * Walks a request's trail in order: each entry's `previousHash` must be the hash of the one before
 * (the genesis value for the first); `detailHashes`, when given, are the SHA-256s of the details kept
 * in S3 as read back now, by entry index, and must match what the entry recorded.
 */
export function checkAuditChain(
  items: readonly Record<string, unknown>[],
  detailHashes: ReadonlyMap<number, string> = new Map(),
): AuditChainCheck {
  let previous = auditGenesisHash;
  for (const [index, item] of items.entries()) {
    const at = String(item.at);
    const step = String(item.step);
    const claimed = item.previousHash;
    const fail = (problem: string): AuditChainCheck => ({
      entries: items.length,
      head: previous,
      broken: { index, at, step, problem },
    });
    if (typeof claimed !== "string")
      return fail("it has no previousHash (written before the chain, or stripped)");
    if (claimed !== previous)
      return fail(
        index === 0
          ? `its previousHash ${claimed} is not the genesis value: an earlier entry was removed`
          : `its previousHash ${claimed} is not the hash of the entry before it (${previous}): that entry was changed, or one was removed or inserted between them`,
      );
    const detailObject = item.detailObject as { sha256?: string } | undefined;
    const read = detailHashes.get(index);
    if (detailObject && read !== undefined && detailObject.sha256 !== read)
      return fail(`its detail in S3 has SHA-256 ${read}, not the ${detailObject.sha256} it recorded`);
    previous = auditEntryHash(item);
  }
  return { entries: items.length, head: previous };
}
