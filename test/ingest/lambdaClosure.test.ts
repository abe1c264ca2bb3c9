// The deployed code, not just the modules: each magic Lambda's factory is closure-serialized exactly
// as aws.lambda.CallbackFunction does it, written as `__index.js` inside the project (so node_modules
// resolves as it will in the zip), loaded, and invoked against the emulator.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { installPulumiMocks } from "../support/pulumiMocks";
import { captureStdout } from "../support/captureStdout";
import { filterBuilderFactory, ingestTransformerFactory } from "../../infra/lake/ingestGuard";
import { envNames } from "../../runtime/contracts/env";
import { createSubjectHashKey } from "../support/subjectHashKeys";
import { candidateIds, enumerate, unkeyedFilterDigests } from "../support/enumeration";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { createLakeBucket, createOptOutTable, event, firehoseRecord } from "./fixtures";

const root = path.resolve(__dirname, "../..");
const dependencies = Object.keys(
  JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).dependencies,
);

async function serialize(factory: () => unknown): Promise<string> {
  // The options CallbackFunction passes (node_modules/@pulumi/aws/lambda/lambdaMixins.js).
  const closure = await pulumi.runtime.serializeFunction(factory, {
    serialize: () => true,
    exportName: "handler",
    isFactoryFunction: true,
    allowSecrets: true,
  });
  return closure.text;
}

function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

describe("infra: the magic Lambdas' serialized code", () => {
  const dir = path.join(root, "tmp", `lambda-closures-${randomUUID().slice(0, 8)}`);
  let builderCode: string;
  let transformerCode: string;

  before(async () => {
    installPulumiMocks();
    builderCode = await serialize(filterBuilderFactory);
    transformerCode = await serialize(ingestTransformerFactory);
    fs.mkdirSync(dir, { recursive: true });
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    // Only what this test set: the harness's AWS_* variables must stay for the other tests.
    for (const name of Object.values(envNames)) delete process.env[name];
  });

  it("requires only Node built-ins and packages listed in dependencies (so they are in the zip)", () => {
    for (const [code, expected] of [
      [builderCode, ["@aws-sdk/client-s3", "@aws-sdk/lib-dynamodb", "@aws-lambda-powertools/logger"]],
      [
        transformerCode,
        ["@aws-sdk/client-s3", "@aws-sdk/lib-dynamodb", "lru-cache", "@aws-lambda-powertools/metrics"],
      ],
    ] as const) {
      const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect(required.map(packageOf)).to.include.members([...expected]);
      for (const spec of required) {
        const builtin = builtinModules.includes(spec.replace(/^node:/, ""));
        expect(
          builtin || dependencies.includes(packageOf(spec)),
          `${spec} is neither built in nor a dependency`,
        ).to.equal(true);
      }
      expect(code, "no Pulumi in the function").to.not.match(/require\("@pulumi\//);
      expect(code, "no local require that the zip could not resolve").to.not.match(/require\("\.\.?\//);
    }
  });

  it("builds and publishes a filter, then drops an opted-out record, run from the serialized code", async () => {
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    await new OptOutRegistry(makeDocumentClient(), table).add("cust-gone-7781", "req-1");
    Object.assign(process.env, {
      [envNames.optOutTable]: table,
      [envNames.filterBucket]: location.bucket,
      [envNames.filterPrefix]: location.prefix,
      [envNames.kmsKeyArn]: location.kmsKeyArn,
      [envNames.subjectHashKeyArn]: await createSubjectHashKey(),
      [envNames.falsePositiveRate]: "0.0001",
      [envNames.refreshSeconds]: "60",
      [envNames.cacheTtlSeconds]: "300",
      [envNames.cacheMaxEntries]: "1000",
    });
    fs.writeFileSync(path.join(dir, "builder.js"), builderCode);
    fs.writeFileSync(path.join(dir, "transformer.js"), transformerCode);
    const builder = require(path.join(dir, "builder.js")).handler;
    const transformer = require(path.join(dir, "transformer.js")).handler;

    const { result, output } = await captureStdout(async () => {
      const built = await builder({}, {});
      const again = await builder({ "detail-type": "Scheduled Event", source: "aws.events" }, {});
      const transformed = await transformer(
        event([
          firehoseRecord("1", { customer_id: "cust-gone-7781", event_type: "x" }),
          firehoseRecord("2", { customer_id: "cust-stays-1234", event_type: "x" }),
          firehoseRecord("3", "{broken"),
        ]),
        {},
      );
      return { built, again, transformed };
    });
    const { built, again, transformed } = result;
    expect(built).to.include({ status: "published", generation: 1, itemCount: 1 });
    expect(built.message).to.match(/^published generation 1: 1 IDs/);
    expect(again).to.include({ status: "unchanged", generation: 1 });
    expect(transformed.records.map((r: { result: string }) => r.result)).to.deep.equal([
      "Dropped",
      "Ok",
      "ProcessingFailed",
    ]);

    const text = output.join("");
    const emf = output
      .map((l) => l.trim())
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l));
    const guardMetrics = emf.find((m) => m.RecordsIn !== undefined);
    expect(guardMetrics).to.include({
      RecordsIn: 3,
      RecordsDropped: 1,
      RecordsFailed: 1,
      DynamoDBLookups: 1,
    });
    expect(guardMetrics._aws.CloudWatchMetrics[0].Namespace).to.equal("Lethe");
    // What the FilterStale alarm watches (infra/lake/ingestGuard.ts): the metric, by service.
    expect(guardMetrics).to.include({ FilterStale: 0, service: "lethe-ingest-guard" });
    expect(guardMetrics._aws.CloudWatchMetrics[0].Dimensions).to.deep.equal([["service"]]);
    expect(text).to.contain("batch transformed");
    expect(text, "a raw customer ID reached the logs").to.not.contain("cust-gone-7781");
    expect(
      enumerate(text + JSON.stringify(built), candidateIds("cust-gone"), unkeyedFilterDigests(1e-4)),
      "an unkeyed digest of the opt-out set reached the logs or the reply",
    ).to.deep.equal([]);
    expect(text).to.not.contain("cust-stays-1234");
  });
});
