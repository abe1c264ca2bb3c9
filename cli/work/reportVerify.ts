// `lethe report verify <report.json|certificate.html>`: checks a report's signature offline, with
// node:crypto only (runtime/contracts/reportSignature.ts), and says what the check proves. A
// report.json is checked against report.json.sig beside it (DER, what `lethe report --out` writes); a
// certificate carries the signed bytes and the signature and must be exactly what they render to.
import * as fs from "node:fs";
import type { ErasureReport } from "../../runtime/contracts/report";
import { UsageError } from "../../runtime/contracts/errors";
import { publicKeyOf, reportSignatureValid } from "../../runtime/contracts/reportSignature";
import { certificateMetaNames, renderReportHtml } from "../../runtime/erasure/report/html";

export interface ReportVerifyOptions {
  /** The DER signature of a report.json (default: `<file>.sig`). */
  signature?: string;
  /** The stack's public key (PEM: the `reportSigningPublicKey` stack output). */
  publicKey?: string;
}

export interface ReportVerification {
  ok: boolean;
  file: string;
  kind: "json" | "certificate";
  requestId?: string;
  verdict?: string;
  /** The fingerprint of the key the signature was checked with, and where that key came from. */
  fingerprint?: string;
  keyFrom?: "given" | "report";
  /** What failed, or what the check proves. */
  lines: string[];
}

function readFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} '${file}': ${code === "ENOENT" ? "no such file" : code}`);
  }
}

const metaContent = (html: string, name: string): string | undefined =>
  new RegExp(`<meta name="${name}" content="([A-Za-z0-9+/=]*)">`).exec(html)?.[1];

/** The bytes, the signature and how they were found, out of a report.json or a certificate. */
function signedParts(
  file: string,
  o: ReportVerifyOptions,
): { kind: ReportVerification["kind"]; bytes: Buffer; signature?: Buffer; page?: string } {
  const content = readFile(file, "report");
  const text = content.toString("utf8");
  if (/^\s*<!DOCTYPE html>/i.test(text)) {
    const bytes = metaContent(text, certificateMetaNames.report);
    const signature = metaContent(text, certificateMetaNames.signature);
    if (bytes === undefined)
      throw new UsageError(`${file} is a certificate without a signed report in it (an unsigned report's)`);
    return {
      kind: "certificate",
      bytes: Buffer.from(bytes, "base64"),
      ...(signature ? { signature: Buffer.from(signature, "base64") } : {}),
      page: text,
    };
  }
  const sigFile = o.signature ?? `${file}.sig`;
  const signature = fs.existsSync(sigFile) ? readFile(sigFile, "signature") : undefined;
  if (!signature && o.signature === undefined)
    throw new UsageError(`no signature for ${file}: expected ${sigFile} (or --signature <file>)`);
  return { kind: "json", bytes: content, ...(signature ? { signature } : {}) };
}

export function verifyReportFile(file: string, o: ReportVerifyOptions = {}): ReportVerification {
  const parts = signedParts(file, o);
  const base = { file, kind: parts.kind };
  const failed = (line: string, extra: Partial<ReportVerification> = {}): ReportVerification => ({
    ...base,
    ok: false,
    ...extra,
    lines: [line],
  });
  let report: ErasureReport;
  try {
    report = JSON.parse(parts.bytes.toString("utf8")) as ErasureReport;
  } catch (err) {
    return failed(`the signed bytes are not a report (not JSON: ${(err as Error).message})`);
  }
  const about = { requestId: report.requestId, ...(report.verdict ? { verdict: report.verdict } : {}) };
  if (!parts.signature) return failed("there is no signature to check", about);
  const given = o.publicKey ? publicKeyOf(readFile(o.publicKey, "public key").toString("utf8")) : undefined;
  const named = report.signedWith;
  if (!given && !named)
    return failed("the report names no signing key: give the stack's public key with --public-key", about);
  const key = given ?? publicKeyOf(named!.publicKey);
  const withKey = {
    ...about,
    fingerprint: key.fingerprint,
    keyFrom: given ? ("given" as const) : ("report" as const),
  };
  if (!reportSignatureValid(parts.bytes, parts.signature, key.pem)) {
    return failed(
      `the signature does not match the report under key ${key.fingerprint}: ` +
        "the report was changed after it was signed, or was signed with another key",
      withKey,
    );
  }
  if (given && named && named.fingerprint !== given.fingerprint)
    return failed(
      `the report names key ${named.fingerprint} but verified under ${given.fingerprint}: its signedWith was altered`,
      withKey,
    );
  if (parts.page !== undefined) {
    // The page a person reads must be the signed report's rendering, byte for byte.
    const expected = renderReportHtml(report, { bytes: parts.bytes, signature: parts.signature });
    if (expected !== parts.page) {
      const a = expected.split("\n");
      const b = parts.page.split("\n");
      let line = 0;
      while (line < a.length && a[line] === b[line]) line++;
      return failed(
        `the signature is valid, but the certificate's page is not what the signed report renders to (first difference on line ${line + 1}): the page was edited`,
        withKey,
      );
    }
  }
  return {
    ...base,
    ok: true,
    ...withKey,
    lines: [
      `the signature is valid: ECDSA P-256 over SHA-256 of the report's bytes, key ${key.fingerprint}` +
        (given ? " (the public key given)" : " (the public key the report names)"),
      `request ${report.requestId}: ${report.verdict ?? report.state}; not one byte of the report has changed since the report task signed it` +
        (parts.page !== undefined ? ", and the certificate shows exactly that report" : ""),
      given
        ? "the key is the one you gave: if it is the stack's reportSigningPublicKey output, only that stack's report function (the one role allowed kms:Sign) could have signed it"
        : "the key was taken from the report itself: compare its fingerprint with the stack's reportSigningPublicKey output (or pass --public-key) before trusting who signed it",
    ],
  };
}
