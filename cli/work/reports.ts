// A request's report out of a stack's report bucket, for `lethe report`: the stack named by its
// outputs file (`lethe up --local`'s, or `pulumi stack output --json` of a deployed stack), the
// emulator's endpoint for a local one, the usual AWS environment otherwise.
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { UsageError } from "../../runtime/contracts/errors";
import type { ErasureReport } from "../../runtime/contracts/report";
import { readReport } from "../../runtime/erasure/report/reportStore";
import { requiredOutput, resolveStackOutputs, StackChoice, useStackEnvironment } from "./stackOutputs";

/** Request ids become an S3 key segment: letters, digits, `-` and `_` only. */
const requestIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

export async function fetchReport(requestId: string, choice: StackChoice): Promise<ErasureReport> {
  if (!requestIdPattern.test(requestId)) {
    throw new UsageError(`request id ${JSON.stringify(requestId)} must be 1-128 letters, digits, - or _`);
  }
  const resolved = resolveStackOutputs(choice);
  const { outputs } = resolved;
  const bucket = requiredOutput(resolved, "reportBucket");
  useStackEnvironment(outputs);
  const settings = typeof outputs.region === "string" ? { region: outputs.region } : {};
  const report = await readReport(makeS3Client(settings), bucket, requestId);
  if (report) return report;
  // Say why there is none: an unknown request, or one still under way.
  let status: unknown;
  if (typeof outputs.requestsTable === "string") {
    const item = await makeDocumentClient(settings).send(
      new GetCommand({ TableName: outputs.requestsTable, Key: { requestId } }),
    );
    status = item.Item?.status;
  }
  throw new UsageError(
    typeof status === "string"
      ? `request ${requestId} is ${status}: its report is written when its batch ends`
      : `no request ${requestId} in this stack (no report in s3://${bucket})`,
  );
}
