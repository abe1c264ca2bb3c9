// `lethe audit verify <requestId>`: walks a request's audit trail in a stack's audit table (the stack
// named the way every operator command names it: cli/work/stackOutputs.ts), checks each entry's
// `previousHash` and each detail kept in S3 against the hash its entry recorded
// (runtime/erasure/auditChain.ts), and compares the head with the one its signed report holds.
import { createHash } from "node:crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import { readAudit } from "../../runtime/erasure/audit";
import { AuditChainCheck, checkAuditChain } from "../../runtime/erasure/auditChain";
import { readReport } from "../../runtime/erasure/report/reportStore";
import { requiredOutput, resolveStackOutputs, StackChoice, useStackEnvironment } from "./stackOutputs";

const requestIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

export interface AuditVerification extends AuditChainCheck {
  requestId: string;
  ok: boolean;
  /** The head the request's report holds (under its signature), and whether the chain reaches it. */
  report?: { head: string; entries: number; found: boolean };
}

export async function verifyAuditTrail(requestId: string, choice: StackChoice): Promise<AuditVerification> {
  if (!requestIdPattern.test(requestId)) {
    throw new UsageError(`request id ${JSON.stringify(requestId)} must be 1-128 letters, digits, - or _`);
  }
  const resolved = resolveStackOutputs(choice);
  const table = requiredOutput(resolved, "auditTable");
  useStackEnvironment(resolved.outputs);
  const settings = typeof resolved.outputs.region === "string" ? { region: resolved.outputs.region } : {};
  const s3 = makeS3Client(settings);
  const items = (await readAudit(makeDocumentClient(settings), table, requestId)) as unknown as Record<
    string,
    unknown
  >[];
  if (items.length === 0) throw new UsageError(`request ${requestId} has no audit trail in ${table}`);
  // Details kept in S3: hashed as read back now, compared with what each entry recorded.
  const detailHashes = new Map<number, string>();
  for (const [i, item] of items.entries()) {
    const d = item.detailObject as { bucket: string; key: string; versionId?: string } | undefined;
    if (!d) continue;
    const o = await s3.send(new GetObjectCommand({ Bucket: d.bucket, Key: d.key, VersionId: d.versionId }));
    const body = Buffer.from(await o.Body!.transformToByteArray());
    detailHashes.set(i, `sha256:${createHash("sha256").update(body).digest("hex")}`);
  }
  const check = checkAuditChain(items, detailHashes);
  let report: AuditVerification["report"];
  const bucket = resolved.outputs.reportBucket;
  if (typeof bucket === "string") {
    const r = await readReport(s3, bucket, requestId);
    if (r?.auditChain) {
      // The chain up to the report's entry count must end at the head the report holds.
      const upTo = checkAuditChain(items.slice(0, r.auditChain.entries), detailHashes);
      report = {
        ...r.auditChain,
        found: items.length >= r.auditChain.entries && !upTo.broken && upTo.head === r.auditChain.head,
      };
    }
  }
  return { requestId, ...check, ...(report ? { report } : {}), ok: !check.broken && (report?.found ?? true) };
}
