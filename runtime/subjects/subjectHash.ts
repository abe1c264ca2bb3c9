// How a data subject appears in logs, metrics, reports, the index and the audit trail: a keyed hash,
// never the ID and never an unkeyed digest (a customer ID space of 10^4 is enumerated in milliseconds).
//
// The key is the stack's KMS HMAC key, whose material never leaves KMS. At cold start a function calls
// GenerateMac once on a fixed, versioned label; the 32-byte answer is an HMAC key held in memory only,
// so hashing a million rows costs no KMS call. Only roles granted kms:GenerateMac on that key can
// compute (or confirm a guess of) a subject hash. There is no default key.
import { createHmac } from "node:crypto";
import { GenerateMacCommand, KMSClient } from "@aws-sdk/client-kms";
import { Env, envNames } from "../contracts/env";
import { keyText } from "./subjectIds";

/** A customer key: one ID, or the values of a composite key in column order. */
export type SubjectKey = string | readonly string[];

/** A key as one text (keyText: a one-part key is its ID, a composite key the JSON array of its parts). */
export function canonicalSubject(key: SubjectKey): string {
  return typeof key === "string" ? key : keyText(key);
}

/** A composite key's hash is in a domain of its own: no one-part ID's text can give the same hash. */
function isComposite(key: SubjectKey): boolean {
  return typeof key !== "string" && key.length > 1;
}

/** The message KMS MACs to derive the in-memory key; a new version gives every subject a new hash. */
export const subjectHashLabel = "lethe/subject-hash/v1";
/** What every subject hash starts with: keyed HMAC-SHA-256, label version 1. */
export const subjectHashPrefix = "hmac1:";

export interface SubjectHasher {
  /** The subject's keyed hash as reports, the index and the audit trail show it. */
  hash(key: SubjectKey): string;
  /**
   * A keyed digest of a set of subjects (independent of order and duplicates), under a context that
   * says what the set is, e.g. to tell whether the opt-out registry changed without revealing it.
   */
  setDigest(context: string, keys: Iterable<SubjectKey>): string;
}

export class SubjectHashKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SubjectHashKeyError";
  }
}

/** A hasher over derived key bytes (from KMS in every deployed and local stack; see loadSubjectHasher). */
export function subjectHasherFromKey(derivedKey: Uint8Array): SubjectHasher {
  if (derivedKey.length < 32) {
    throw new SubjectHashKeyError(`a subject hash key needs at least 32 bytes, got ${derivedKey.length}`);
  }
  const key = Buffer.from(derivedKey);
  // Domain separation: a subject's hash and a one-subject set's digest never coincide.
  const mac = (domain: string) => createHmac("sha256", key).update(`${domain}\n`);
  return {
    hash: (k) =>
      subjectHashPrefix +
      mac(isComposite(k) ? "composite subject" : "subject")
        .update(canonicalSubject(k))
        .digest("hex")
        .slice(0, 32),
    setDigest(context, keys) {
      const canonical = [...new Set([...keys].map(canonicalSubject))].sort();
      const h = mac("set").update(`${Buffer.byteLength(context)}:${context}\n`);
      for (const c of canonical) h.update(`${Buffer.byteLength(c)}:${c}\n`);
      return subjectHashPrefix + h.digest("hex");
    },
  };
}

/** Derives the in-memory key with one GenerateMac call on the stack's HMAC key; fails without a key. */
export async function loadSubjectHasher(kms: KMSClient, keyArn: string | undefined): Promise<SubjectHasher> {
  if (keyArn === undefined || keyArn.trim() === "") {
    throw new SubjectHashKeyError(
      `no subject hash key: set ${envNames.subjectHashKeyArn} to the stack's KMS HMAC key ` +
        "(stack output subjectHashKeyArn); Lethe never falls back to an unkeyed hash",
    );
  }
  let mac: Uint8Array | undefined;
  try {
    const out = await kms.send(
      new GenerateMacCommand({
        KeyId: keyArn,
        MacAlgorithm: "HMAC_SHA_256",
        Message: Buffer.from(subjectHashLabel, "utf8"),
      }),
    );
    mac = out.Mac;
  } catch (err) {
    const e = err as Error;
    throw new SubjectHashKeyError(
      `cannot derive the subject hash key from ${keyArn} (needs a KMS HMAC_256 key with GENERATE_VERIFY_MAC ` +
        `usage and kms:GenerateMac on it): ${e.name}: ${e.message}`,
    );
  }
  if (!mac) throw new SubjectHashKeyError(`KMS returned no MAC for ${keyArn}`);
  return subjectHasherFromKey(mac);
}

/**
 * A handler's hasher, derived on first use and kept for the life of the cold start; a failed
 * derivation (KMS throttled, say) is retried on the next call rather than remembered.
 */
export function lazySubjectHasher(kms: KMSClient, keyArn: string): () => Promise<SubjectHasher> {
  let loading: Promise<SubjectHasher> | undefined;
  return () => {
    loading ??= loadSubjectHasher(kms, keyArn).catch((err) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };
}

/** The hasher of a function whose environment names the stack's HMAC key. */
export function subjectHasherFromEnv(kms: KMSClient, env: Env): Promise<SubjectHasher> {
  return loadSubjectHasher(kms, env[envNames.subjectHashKeyArn]);
}
