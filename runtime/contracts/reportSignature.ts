// How a report is signed and checked, with node:crypto only (no AWS call): what `lethe report verify`
// and an auditor with openssl rely on. The signed bytes are the report JSON exactly as stored
// (`reports/request_id=<id>/report.json`, UTF-8, as written: no trailing newline); the signature is
// ECDSA P-256 over their SHA-256, DER-encoded (KMS's ECDSA_SHA_256), kept beside the bytes, never
// inside them: the object's `x-amz-meta-lethe-signature` (base64), `report.json.sig` (DER) for a
// file, the certificate's signed-report block. docs/report.md shows the same check with openssl.
import { createHash, createPublicKey, verify as verifySignature } from "node:crypto";

export const reportSigningAlgorithm = "ECDSA_SHA_256";

/** The S3 metadata keys (x-amz-meta-…) the signature travels in, beside the report's bytes. */
export const signatureMetadataKey = "lethe-signature";
export const signatureAlgorithmMetadataKey = "lethe-signature-algorithm";

/** The key a report was signed with, as the report itself names it (so the signature covers it). */
export interface ReportSigningKey {
  algorithm: typeof reportSigningAlgorithm;
  keyArn: string;
  /** The public key, SubjectPublicKeyInfo PEM (what the stack output `reportSigningPublicKey` gives). */
  publicKey: string;
  /** `sha256:<hex>` of the public key's DER (openssl pkey -pubin -outform DER | openssl dgst -sha256). */
  fingerprint: string;
}

/** A report's bytes and the signature over them, as stored or embedded in a certificate. */
export interface SignedReportBytes {
  bytes: Buffer;
  /** DER ECDSA signature; absent for a report written unsigned (or put together from parts when read). */
  signature?: Buffer;
}

/** The public key (PEM or DER SubjectPublicKeyInfo) as PEM, and its fingerprint. */
export function publicKeyOf(key: string | Buffer): { pem: string; fingerprint: string } {
  const k =
    typeof key === "string" ? createPublicKey(key) : createPublicKey({ key, format: "der", type: "spki" });
  const der = k.export({ format: "der", type: "spki" });
  return {
    pem: k.export({ format: "pem", type: "spki" }).toString(),
    fingerprint: `sha256:${createHash("sha256").update(der).digest("hex")}`,
  };
}

/** True when `signature` is the key's ECDSA P-256 signature of SHA-256(bytes). */
export function reportSignatureValid(bytes: Buffer, signature: Buffer, publicKeyPem: string): boolean {
  try {
    return verifySignature("sha256", bytes, { key: publicKeyPem, dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}
