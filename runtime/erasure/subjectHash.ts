// How a data subject appears in logs, metrics, reports and the audit trail: a keyed hash, never the ID.
// With a secret key (LETHE_SUBJECT_HASH_KEY, e.g. from Secrets Manager) the hash cannot be reversed by
// hashing candidate IDs; without one it is a plain SHA-256, still stable for correlating records.
import { createHash, createHmac } from "node:crypto";
import { envNames } from "../contracts/env";

/** A customer key: one ID, or the values of a composite key in column order. */
export type SubjectKey = string | readonly string[];

/** Composite keys join with a unit separator, which cannot occur in a typed ID. */
export function canonicalSubject(key: SubjectKey): string {
  return typeof key === "string" ? key : key.join("\u001f");
}

export function subjectHash(key: SubjectKey, secret = process.env[envNames.subjectHashKey] ?? ""): string {
  const canonical = canonicalSubject(key);
  const digest = secret
    ? createHmac("sha256", secret).update(canonical).digest("hex")
    : createHash("sha256").update(canonical).digest("hex");
  return `sha256:${digest.slice(0, 24)}`;
}
