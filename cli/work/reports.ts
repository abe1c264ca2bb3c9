// A request's report out of a stack's report bucket, for `lethe report`: the stack named by its
// outputs file (`lethe up --local`'s, or `pulumi stack output --json` of a deployed stack), the
// emulator's endpoint for a local one, the usual AWS environment otherwise.
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import type { ErasureReport } from "../../runtime/contracts/report";
import type { SignedReportBytes } from "../../runtime/contracts/reportSignature";
import { readSignedReport } from "../../runtime/erasure/report/reportStore";
import { readRequestReport } from "../../runtime/erasure/report/parts";
import { requiredOutput, resolveStackOutputs, StackChoice, useStackEnvironment } from "./stackOutputs";

/** Request ids become an S3 key segment: letters, digits, `-` and `_` only. */
const requestIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

export async function fetchReport(requestId: string, choice: StackChoice): Promise<ErasureReport> {
  return (await fetchSignedReport(requestId, choice)).report;
}

/**
 * The report and, when it is one stored report (not put together from parts), its bytes as stored
 * and their signature: what `lethe report --out` saves and the certificate embeds.
 */
export async function fetchSignedReport(
  requestId: string,
  choice: StackChoice,
): Promise<{ report: ErasureReport; signed?: SignedReportBytes }> {
  if (!requestIdPattern.test(requestId)) {
    throw new UsageError(`request id ${JSON.stringify(requestId)} must be 1-128 letters, digits, - or _`);
  }
  const resolved = resolveStackOutputs(choice);
  const { outputs } = resolved;
  const bucket = requiredOutput(resolved, "reportBucket");
  useStackEnvironment(outputs);
  const settings = typeof outputs.region === "string" ? { region: outputs.region } : {};
  const own = await readSignedReport(makeS3Client(settings), bucket, requestId);
  if (own) {
    const { report, ...signed } = own;
    return { report, signed };
  }
  // Without the requests table only the report itself can be read (a request split into parts has none).
  if (typeof outputs.requestsTable !== "string") {
    throw new UsageError(`no request ${requestId} in this stack (no report in s3://${bucket})`);
  }
  const report = await readRequestReport(
    {
      s3: makeS3Client(settings),
      doc: makeDocumentClient(settings),
      reportBucket: bucket,
      requestsTable: outputs.requestsTable,
    },
    requestId,
  );
  return { report };
}
