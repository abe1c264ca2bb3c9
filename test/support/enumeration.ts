// What an attacker holding a report, an audit entry, a pointer or a log line tries: hash every
// candidate ID without the stack's key (plain SHA-256, HMAC under an empty or guessable key) and
// look for the digest, whole or truncated to 16 hex digits or more, in the text.
import { createHash, createHmac } from "node:crypto";

export const guessableKeys = ["", "lethe", "secret", "changeme", "password", "lethe/subject-hash/v1"];

/** The unkeyed and guessable-key digests of one candidate (hex). */
export function unkeyedDigests(candidate: string): string[] {
  return [
    createHash("sha256").update(candidate).digest("hex"),
    ...guessableKeys.map((k) => createHmac("sha256", k).update(candidate).digest("hex")),
    ...guessableKeys.map((k) => createHmac("sha256", k).update(`subject\n${candidate}`).digest("hex")),
  ];
}

/** Also the unkeyed ID-set digest of a one-ID opt-out registry, as a builder without the key would publish it. */
export function unkeyedFilterDigests(falsePositiveRate: number): (candidate: string) => string[] {
  return (id) => [
    createHash("sha256")
      .update(`lethe-opt-out-filter\nfpr=${falsePositiveRate}\n${Buffer.byteLength(id)}:${id}\n`)
      .digest("hex"),
    ...unkeyedDigests(id),
  ];
}

/** The candidates one of whose digests appears in `text` (as a run of 16 or more hex digits). */
export function enumerate(
  text: string,
  candidates: readonly string[],
  digestsOf: (candidate: string) => string[] = unkeyedDigests,
): string[] {
  const byPrefix = new Map<string, string>();
  for (const c of candidates) for (const d of digestsOf(c)) byPrefix.set(d.slice(0, 16), c);
  const found = new Set<string>();
  for (const run of text.toLowerCase().match(/[0-9a-f]{16,}/g) ?? []) {
    const c = byPrefix.get(run.slice(0, 16));
    if (c !== undefined) found.add(c);
  }
  return [...found];
}

/** `n` candidate IDs shaped like the ones the tests use, `prefix-0` .. `prefix-(n-1)`. */
export function candidateIds(prefix: string, n = 10_000): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}
