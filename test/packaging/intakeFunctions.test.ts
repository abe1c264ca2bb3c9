// The intake functions from packaged code, as the program declares them, run against the emulator: a request filed (its filter rebuild through Lambda Invoke),
// batched into a Step Functions execution (moto), its status read, the batch cancelled (StopExecution).
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { CreateStateMachineCommand, DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeS3Client, makeSfnClient } from "../../runtime/aws/clients";
import { envNames } from "../../runtime/contracts/env";
import { getErasureRequest, moveErasureRequest, rawIdsDroppedReason } from "../../runtime/erasure/request";
import { createFilterBuilderHandler } from "../../runtime/handlers/filterBuilder";
import type { LocalStack } from "../../runtime/contracts/stack";
import {
  loadPackagedHandler,
  packagedFunction,
  PackagedFunction,
  zipFunction,
} from "../../local/program/packaging";
import { createTableLike } from "../../local/stack";
import { serveLocalLambda, LocalLambda } from "../../local/lambda";
import { filterBuilderEnvironment, intakeEnvironment } from "../support/intakeEnvironment";
import { sharedLocalStack } from "../support/localStack";

describe("packaging: the intake functions run from packaged code", () => {
  let stack: LocalStack;
  let lambda: LocalLambda;
  let env: Record<string, string>;
  const fns: Record<string, PackagedFunction> = {};

  before(async function () {
    this.timeout(300_000);
    stack = await sharedLocalStack();
    for (const name of ["request", "batch", "status", "approval", "cancel", "deadline"])
      fns[name] = await packagedFunction(name);
    const builder = createFilterBuilderHandler(filterBuilderEnvironment(stack));
    lambda = await serveLocalLambda({ [stack.filterBuilderFunction]: (e) => builder(e) });
    const run = randomUUID().slice(0, 8);
    const machine = await makeSfnClient().send(
      new CreateStateMachineCommand({
        name: `lethe-packaged-${run}`,
        definition: JSON.stringify({
          StartAt: "W",
          States: { W: { Type: "Wait", Seconds: 3600, End: true } },
        }),
        roleArn: "arn:aws:iam::123456789012:role/lethe-test-sfn",
      }),
    );
    env = {
      ...intakeEnvironment(stack, {
        idempotencyTable: await createTableLike("idempotency", `idempotency-${run}`),
        stateMachineArn: machine.stateMachineArn!,
        batchMaxSubjects: 10_000,
      }),
      // Tables of their own: the batch takes every open request it finds.
      LETHE_REQUESTS_TABLE: await createTableLike("requests", `requests-${run}`),
      LETHE_LEDGER_TABLE: await createTableLike("ledger", `ledger-${run}`),
      AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL!,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      POWERTOOLS_LOG_LEVEL: "WARN",
    };
  });
  after(() => lambda?.close());

  it("carries the idempotency utility, the Lambda and Step Functions clients where they are used", async function () {
    this.timeout(300_000);
    expect(fns.request.directPackages).to.include.members([
      "@aws-lambda-powertools/idempotency",
      "@aws-sdk/client-lambda",
    ]);
    expect(fns.batch.directPackages).to.include("@aws-sdk/client-sfn");
    expect(fns.request.entries).to.deep.equal(["runtime/handlers/request.ts"]);
    const { bytes } = await zipFunction(fns.request);
    console.log(`      request: zip ${(bytes / 1e6).toFixed(2)} MB, ${fns.request.packages.length} packages`);
  });

  it("files, batches, answers status and cancels, from the packaged handlers", async () => {
    const run = randomUUID().slice(0, 8);
    const request = loadPackagedHandler(fns.request, env);
    const filed = (await request({
      customerIds: [`pk-${run}-1`, `pk-${run}-2`],
      idempotencyKey: `pk-${run}`,
    })) as {
      requestId: string;
      status: string;
      deadline: string;
    };
    expect(filed.status).to.equal("RECEIVED");
    expect(lambda.invocations[stack.filterBuilderFunction]).to.equal(1);
    expect(
      await request({ customerIds: [`pk-${run}-1`, `pk-${run}-2`], idempotencyKey: `pk-${run}` }),
    ).to.deep.equal(filed);

    const batched = (await loadPackagedHandler(fns.batch, env)({ now: true })) as {
      status: string;
      batchId: string;
      executionId: string;
      requestIds: string[];
    };
    expect(batched).to.deep.include({ status: "STARTED", requestIds: [filed.requestId] });
    const execution = await makeSfnClient().send(
      new DescribeExecutionCommand({ executionArn: batched.executionId }),
    );
    expect(execution.name).to.equal(batched.batchId);

    const status = (await loadPackagedHandler(fns.status, env)({ requestId: filed.requestId })) as {
      state: string;
      batch: { batchId: string };
    };
    expect(status.state).to.equal("BATCHED");
    expect(status.batch.batchId).to.equal(batched.batchId);

    const approval = loadPackagedHandler(fns.approval, env);
    let refused: Error | undefined;
    try {
      await approval({ batchId: batched.batchId, decision: "approve" });
    } catch (err) {
      refused = err as Error;
    }
    expect(refused?.name).to.equal("MoveNotAllowedError");
    expect(refused?.message).to.equal(`batch ${batched.batchId} is BATCHED, not waiting for approval`);

    const cancelled = (await loadPackagedHandler(fns.cancel, env)({ batchId: batched.batchId })) as {
      requestsCancelled: string[];
    };
    expect(cancelled.requestsCancelled).to.deep.equal([filed.requestId]);
    const stopped = await makeSfnClient().send(
      new DescribeExecutionCommand({ executionArn: batched.executionId }),
    );
    expect(stopped.status).to.equal("ABORTED");
  });

  it("the scheduled deadline function drops a failed request's raw IDs past its grace, and keeps an open one's", async () => {
    const run = randomUUID().slice(0, 8);
    const request = loadPackagedHandler(fns.request, env);
    const file = async (n: number) =>
      (
        (await request({ customerIds: [`dl-${run}-${n}`], idempotencyKey: `dl-${run}-${n}` })) as {
          requestId: string;
        }
      ).requestId;
    const [failed, open] = [await file(1), await file(2)];
    const doc = makeDocumentClient();
    const tableName = env[envNames.requestsTable];
    const settings = {
      doc,
      s3: makeS3Client(),
      tableName,
      bucket: stack.lakeBucket,
      kmsKeyArn: stack.kmsKeyArn,
      erasure: stack.erasureSettings,
    };
    await moveErasureRequest(settings, failed, "BATCHED");
    await moveErasureRequest(settings, failed, "NEEDS_ATTENTION");
    // Time passes: both deadlines a year back, far beyond any grace. Nobody touches the requests.
    for (const requestId of [failed, open])
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { requestId },
          UpdateExpression: "SET deadline = :d",
          ExpressionAttributeValues: { ":d": new Date(Date.now() - 365 * 86_400_000).toISOString() },
        }),
      );
    const idsKey = (await getErasureRequest(doc, tableName, failed))!.idsFile!.key;

    const deadline = loadPackagedHandler(fns.deadline, { ...env, [envNames.deadlineWarningDays]: "5" });
    const reply = (await deadline({})) as { rawIdsDropped: string[]; overdue: number };
    expect(reply.rawIdsDropped).to.deep.equal([failed]);
    const dropped = await getErasureRequest(doc, tableName, failed);
    expect(dropped?.idsFile).to.equal(undefined);
    expect(dropped?.subjectsDropped?.reason).to.equal(rawIdsDroppedReason);
    const versions = await makeS3Client().send(
      new ListObjectVersionsCommand({ Bucket: stack.lakeBucket, Prefix: idsKey }),
    );
    expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]).to.have.length(0);
    // The open request is overdue (alerted), never stripped of the IDs it still needs.
    expect((await getErasureRequest(doc, tableName, open))?.idsFile).to.not.equal(undefined);
    expect(reply.overdue).to.be.at.least(1);
    // A second run finds nothing more to drop.
    expect(((await deadline({})) as { rawIdsDropped: string[] }).rawIdsDropped).to.deep.equal([]);
  });
});
