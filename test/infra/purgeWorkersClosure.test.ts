// The errors function's deployed code, not just its module: its factory closure-serialized exactly as
// aws.lambda.CallbackFunction does it, loaded from inside the project (so node_modules resolves as in
// the zip), and invoked with a dead letter against the emulator.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { functionContents } from "../../infra/components/runtimePackage";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { installPulumiMocks } from "../support/pulumiMocks";
import { errorsFactory } from "../../infra/erasure/purgeWorkers";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { envNames } from "../../runtime/contracts/env";
import { createTestLake, drain, handlerStack } from "../erasure/forgetFixtures";

const root = path.resolve(__dirname, "../..");
const dependencies = Object.keys(
  JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).dependencies,
);
const packageOf = (spec: string) =>
  spec
    .split("/")
    .slice(0, spec.startsWith("@") ? 2 : 1)
    .join("/");

describe("infra: the errors function's serialized code", () => {
  const dir = path.join(root, "tmp", `errors-closure-${randomUUID().slice(0, 8)}`);
  const quiet = { POWERTOOLS_LOG_LEVEL: "SILENT" };
  let code: string;

  before(async () => {
    installPulumiMocks();
    // As LetheFunction does: the runtime ships as compiled files the closure requires.
    functionContents("errors", errorsFactory);
    code = (
      await pulumi.runtime.serializeFunction(errorsFactory, {
        serialize: () => true,
        exportName: "handler",
        isFactoryFunction: true,
        allowSecrets: true,
      })
    ).text;
    fs.mkdirSync(dir, { recursive: true });
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const name of [...Object.values(envNames), ...Object.keys(quiet)]) delete process.env[name];
  });

  it("requires its compiled handler, built-ins and dependencies only, and files a dead letter with one alert when run", async () => {
    for (const spec of [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])) {
      const ok =
        builtinModules.includes(spec.replace(/^node:/, "")) ||
        spec.startsWith("@lethe/runtime/") || // the runtime ships as compiled files (runtimePackage.ts)
        dependencies.includes(packageOf(spec));
      expect(ok, `${spec} is neither built in nor a dependency`).to.equal(true);
    }
    const lake = await createTestLake();
    const h = await handlerStack(lake);
    Object.assign(process.env, h.env, quiet);
    fs.writeFileSync(path.join(dir, "errors.js"), code);
    const handler = require(path.join(dir, "errors.js")).handler;
    const batchId = randomUUID();
    const body = JSON.stringify({
      batchId,
      mapper: "events",
      object: { bucket: lake.bucket, key: "events/dt=2026-11-30/poison.parquet", versionIds: [] },
      manifest: { bucket: lake.bucket, key: "erasure-manifests/m.jsonl" },
    });
    const reply = await handler(
      {
        Records: [
          { messageId: "dl-1", body, eventSource: "aws:sqs", attributes: { ApproximateReceiveCount: "5" } },
        ],
      },
      {},
    );
    expect(reply).to.deep.equal({ batchItemFailures: [] });
    const filed = await makeDocumentClient().send(
      new QueryCommand({
        TableName: h.stack.errorsTable,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `batch#${batchId}` },
      }),
    );
    expect(filed.Items).to.have.length(1);
    expect(filed.Items![0]).to.include({
      kind: "retries-exhausted",
      key: "events/dt=2026-11-30/poison.parquet",
    });
    expect(await drain(h.alertQueueUrl, 1)).to.have.length(1);
    fs.rmSync(lake.dir, { recursive: true, force: true });
  });
});
