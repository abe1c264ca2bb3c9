// Signing reports with the stack's report signing key (KMS, ECC_NIST_P256, SIGN_VERIFY): the private
// key never leaves KMS and only the report (and retention) functions' roles may use it (infra/components/reportSigningKey.ts).
// A report is larger than KMS's 4,096-byte limit for a RAW message, so KMS signs its SHA-256 digest
// (MessageType DIGEST): the same signature `openssl dgst -sha256 -verify` checks over the bytes.
import { createHash } from "node:crypto";
import { GetPublicKeyCommand, KMSClient, SignCommand } from "@aws-sdk/client-kms";
import {
  publicKeyOf,
  ReportSigningKey,
  reportSignatureValid,
  reportSigningAlgorithm,
} from "../../contracts/reportSignature";

export interface ReportSigner {
  /** The key as the reports name it (public key and fingerprint included). */
  key: ReportSigningKey;
  /** The DER signature of `bytes`. */
  sign(bytes: Buffer): Promise<Buffer>;
}

/** A signer over the KMS key: its public key is read once (kms:GetPublicKey) and each signature checked against it. */
export async function loadReportSigner(kms: KMSClient, keyArn: string): Promise<ReportSigner> {
  const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyArn }));
  if (!pub.PublicKey || !(pub.SigningAlgorithms ?? []).includes(reportSigningAlgorithm)) {
    throw new Error(`report signing key ${keyArn} is not an ${reportSigningAlgorithm} signing key`);
  }
  const { pem, fingerprint } = publicKeyOf(Buffer.from(pub.PublicKey));
  const key: ReportSigningKey = { algorithm: reportSigningAlgorithm, keyArn, publicKey: pem, fingerprint };
  return {
    key,
    async sign(bytes) {
      const out = await kms.send(
        new SignCommand({
          KeyId: keyArn,
          Message: createHash("sha256").update(bytes).digest(),
          MessageType: "DIGEST",
          SigningAlgorithm: reportSigningAlgorithm,
        }),
      );
      const signature = Buffer.from(out.Signature!);
      // A signature the report's own public key does not accept is never stored.
      if (!reportSignatureValid(bytes, signature, pem)) {
        throw new Error(`KMS returned a signature that ${fingerprint} does not verify over the report`);
      }
      return signature;
    },
  };
}
