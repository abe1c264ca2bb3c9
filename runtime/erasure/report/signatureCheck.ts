// A stored report's signature checked as `lethe report verify` checks it (cli/work/reportVerify.ts),
// for the console: against the stack's own signing key (kms:GetPublicKey), not only the key the report
// names, so a report signed with any other key, or changed by one byte, shows as not verified.
import { GetPublicKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { ErasureReport } from "../../contracts/report";
import { publicKeyOf, reportSignatureValid, SignedReportBytes } from "../../contracts/reportSignature";

export interface SignatureCheck {
  valid: boolean;
  /** The stack key's fingerprint (`sha256:<hex>`). */
  fingerprint?: string;
  /** What the check proves, or what failed. */
  message: string;
}

/** The stack's signing key as PEM, read once per key. */
export function stackPublicKey(kms: KMSClient, keyArn: string): () => Promise<string> {
  let pem: Promise<string> | undefined;
  return () =>
    (pem ??= kms
      .send(new GetPublicKeyCommand({ KeyId: keyArn }))
      .then((r) => publicKeyOf(Buffer.from(r.PublicKey!)).pem));
}

export function checkReportSignature(
  stored: SignedReportBytes & { report: ErasureReport },
  stackKeyPem: string,
): SignatureCheck {
  const key = publicKeyOf(stackKeyPem);
  if (!stored.signature)
    return { valid: false, fingerprint: key.fingerprint, message: "the report carries no signature" };
  if (!reportSignatureValid(stored.bytes, stored.signature, key.pem))
    return {
      valid: false,
      fingerprint: key.fingerprint,
      message: `the signature does not match the report under the stack's key ${key.fingerprint}: changed after signing, or signed with another key`,
    };
  return {
    valid: true,
    fingerprint: key.fingerprint,
    message: `signed by this stack's report signing key ${key.fingerprint} (ECDSA P-256, SHA-256); not one byte has changed since`,
  };
}
