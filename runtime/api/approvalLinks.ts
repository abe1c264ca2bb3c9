// Approve and reject links for the approval notification. A link is `<base>/approval-links/<token>`,
// token = base64url(claims) "." base64url(MAC), the MAC computed by KMS (GenerateMac, HMAC-SHA-256)
// with the stack's approval-link key, whose material never leaves KMS; the API function checks it
// with VerifyMac. The claims bind the link to one batch, one decision, one approval round (a digest
// of the task token the execution waits on, never the token itself) and an expiry. A link works once
// because the decision does: the first decision on a batch is recorded conditionally and every later
// one is refused (runtime/erasure/approval.ts), whichever link or route it came through.
import { createHash } from "node:crypto";
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from "@aws-sdk/client-kms";
import { Env, envNames, numberEnv } from "../contracts/env";

/** Domain separation: a MAC over a link can be nothing else. */
export const approvalLinkLabel = "lethe/approval-link/v1\n";
export const approvalLinkPath = "/approval-links/";
export const defaultApprovalLinkTtlHours = 72;

export type LinkDecision = "approve" | "reject";

export interface LinkClaims {
  v: 1;
  /** The batch. */
  b: string;
  d: LinkDecision;
  /** Digest of the task token of the approval round the link belongs to. */
  t: string;
  /** Expiry, epoch seconds. */
  x: number;
}

/** Signs and checks MACs; KMS deployed and locally (moto), see kmsLinkSigner. */
export interface LinkSigner {
  mac(message: Buffer): Promise<Buffer>;
  verify(message: Buffer, mac: Buffer): Promise<boolean>;
}

export function kmsLinkSigner(kms: KMSClient, keyArn: string): LinkSigner {
  return {
    async mac(message) {
      const out = await kms.send(
        new GenerateMacCommand({ KeyId: keyArn, MacAlgorithm: "HMAC_SHA_256", Message: message }),
      );
      if (!out.Mac) throw new Error("KMS GenerateMac returned no MAC for the approval link");
      return Buffer.from(out.Mac);
    },
    async verify(message, mac) {
      if (mac.length === 0) return false;
      try {
        const out = await kms.send(
          new VerifyMacCommand({ KeyId: keyArn, MacAlgorithm: "HMAC_SHA_256", Message: message, Mac: mac }),
        );
        return out.MacValid === true;
      } catch (err) {
        // KMS answers a wrong MAC with an exception, not MacValid: false.
        if ((err as Error).name === "KMSInvalidMacException") return false;
        throw err;
      }
    },
  };
}

export function taskTokenDigest(taskToken: string): string {
  return createHash("sha256").update(`lethe/task-token\n${taskToken}`).digest("base64url").slice(0, 22);
}

function signedMessage(encodedClaims: string): Buffer {
  return Buffer.from(approvalLinkLabel + encodedClaims, "utf8");
}

export async function signLinkToken(signer: LinkSigner, claims: LinkClaims): Promise<string> {
  const encoded = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url");
  const mac = await signer.mac(signedMessage(encoded));
  return `${encoded}.${mac.toString("base64url")}`;
}

export interface ApprovalLinks {
  approve: string;
  reject: string;
  expiresAt: string;
}

export interface ApprovalLinkSettings {
  signer: LinkSigner;
  /** The API's base URL (stage included), e.g. https://abc.execute-api.eu-west-1.amazonaws.com/v1 */
  baseUrl: string;
  ttlHours: number;
  now?: () => Date;
}

/** The pair of links a notification carries for one approval round of one batch. */
export async function approvalLinksFor(
  settings: ApprovalLinkSettings,
  batchId: string,
  taskToken: string,
): Promise<ApprovalLinks> {
  const now = (settings.now ?? (() => new Date()))();
  const x = Math.floor(now.getTime() / 1000) + Math.round(settings.ttlHours * 3600);
  const base = settings.baseUrl.replace(/\/+$/, "") + approvalLinkPath;
  const link = async (d: LinkDecision) =>
    base + (await signLinkToken(settings.signer, { v: 1, b: batchId, d, t: taskTokenDigest(taskToken), x }));
  return {
    approve: await link("approve"),
    reject: await link("reject"),
    expiresAt: new Date(x * 1000).toISOString(),
  };
}

export type LinkReading =
  { ok: true; claims: LinkClaims } | { ok: false; problem: "forged" | "expired"; claims?: LinkClaims };

/**
 * True when `text` is the one base64url spelling of its bytes: unpadded, from the URL-safe alphabet,
 * and with the unused low bits of its last character zero. Node's decoder ignores those bits, so
 * without this check up to 16 spellings of one MAC would all verify (a "tampered" link that works).
 */
export function isCanonicalBase64url(text: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(text) && Buffer.from(text, "base64url").toString("base64url") === text;
}

/**
 * What a token says, if its MAC is the key's: `forged` for anything not signed by it (a changed batch
 * id or decision included), `expired` past its expiry. Nothing in an unsigned token is trusted.
 */
export async function readLinkToken(
  signer: LinkSigner,
  token: string,
  now = new Date(),
): Promise<LinkReading> {
  const parts = token.split(".");
  if (parts.length !== 2 || !parts.every(isCanonicalBase64url)) return { ok: false, problem: "forged" };
  const mac = Buffer.from(parts[1], "base64url");
  if (!(await signer.verify(signedMessage(parts[0]), mac))) return { ok: false, problem: "forged" };
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as LinkClaims;
  } catch {
    return { ok: false, problem: "forged" };
  }
  if (
    claims.v !== 1 ||
    typeof claims.b !== "string" ||
    (claims.d !== "approve" && claims.d !== "reject") ||
    typeof claims.t !== "string" ||
    typeof claims.x !== "number"
  )
    return { ok: false, problem: "forged" };
  if (claims.x * 1000 <= now.getTime()) return { ok: false, problem: "expired", claims };
  return { ok: true, claims };
}

/**
 * The link settings of a function that notifies approvers (request-approval), from its environment:
 * undefined when the stack has no HTTP API (no base URL or key), so the notification carries only the
 * commands.
 */
export function approvalLinkSettingsFromEnv(env: Env, kms: KMSClient): ApprovalLinkSettings | undefined {
  const baseUrl = env[envNames.apiBaseUrl];
  const keyArn = env[envNames.approvalLinkKeyArn];
  if (!baseUrl || !keyArn) return undefined;
  return {
    signer: kmsLinkSigner(kms, keyArn),
    baseUrl,
    ttlHours: numberEnv(env, envNames.approvalLinkTtlHours, 1, 24 * 30, defaultApprovalLinkTtlHours),
  };
}
