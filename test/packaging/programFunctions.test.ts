// The program's functions exactly as `pulumi up` would zip them (local/program/packaging.ts): each one's
// packaged code loads on its own (its node_modules only), carries only what it needs, and the ingest
// guard's two functions run from their packages against the emulator with the sample console events.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import {
  loadPackagedHandler,
  PackagedFunction,
  packagedFunction,
  packagedFunctions,
  zipFunction,
} from "../../local/program/packaging";
import { envNames } from "../../runtime/contracts/env";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { createLakeBucket, createOptOutTable } from "../ingest/fixtures";
import { captureStdout } from "../support/captureStdout";
import { createSubjectHashKey } from "../support/subjectHashKeys";
import { enumerate, unkeyedFilterDigests } from "../support/enumeration";

const root = path.resolve(__dirname, "../..");
const dependencies = Object.keys(
  JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).dependencies,
);
const sampleEvent = (shortName: string) =>
  JSON.parse(fs.readFileSync(path.join(root, "events", `${shortName}.json`), "utf8"));

function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

describe("packaging: the program's functions as pulumi up zips them", () => {
  let fns: PackagedFunction[];

  before(async () => {
    fns = await packagedFunctions();
  });

  it("finds every LetheFunction with its settings", () => {
    expect(fns.map((f) => f.shortName)).to.include.members(["filter-builder", "ingest-guard"]);
    for (const fn of fns) {
      expect(fn.functionName).to.equal(`lethe-dev-${fn.shortName}`);
      expect(fn.handler).to.equal("__index.handler");
      expect(fn.memorySizeMb).to.be.greaterThan(0);
      expect(fn.timeoutSeconds).to.be.greaterThan(0);
      expect(fn.entries.length, `${fn.shortName} requires no runtime module`).to.be.greaterThan(0);
      for (const entry of fn.entries) expect(fs.existsSync(path.join(root, entry)), entry).to.equal(true);
    }
  });

  it("requires the runtime as files in the zip instead of copying its code into the closure", () => {
    for (const fn of fns) {
      const index = fs.readFileSync(path.join(fn.dir, "__index.js"), "utf8");
      const required = [...index.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect(
        required.some((r) => r.startsWith("@lethe/runtime/")),
        fn.shortName,
      ).to.equal(true);
      for (const spec of required) {
        const builtin = builtinModules.includes(spec.replace(/^node:/, ""));
        const shipped = fs.existsSync(path.join(fn.dir, "node_modules", spec));
        expect(
          builtin || shipped || dependencies.includes(packageOf(spec)),
          `${fn.shortName}: ${spec} is neither built in nor in the zip`,
        ).to.equal(true);
      }
      // A runtime module copied by value would bring its code along; the closure is a few lines.
      expect(index.length, `${fn.shortName}: __index.js`).to.be.below(4000);
      expect(index).to.not.match(/require\("@pulumi\//);
      expect(index, "no local require the zip could not resolve").to.not.match(/require\("\.\.?\//);
    }
  });

  it("loads every function's packaged code on its own, with the program's environment", () => {
    for (const fn of fns) {
      // Out of the project: the zip's node_modules is all it can resolve from.
      expect(path.relative(root, fn.dir).startsWith(".."), fn.dir).to.equal(true);
      const handler = loadPackagedHandler(fn);
      expect(handler, fn.shortName).to.be.a("function");
    }
  });

  it("carries only what each function needs (sizes in the output)", async function () {
    // Zips every function of the program (about 30).
    this.timeout(900_000);
    for (const fn of fns) {
      const { bytes } = await zipFunction(fn);
      console.log(
        `      ${fn.shortName}: zip ${(bytes / 1e6).toFixed(2)} MB, unzipped ${(fn.unzippedBytes / 1e6).toFixed(1)} MB, ` +
          `${fn.files} files, ${fn.packages.length} packages; requires ${fn.directPackages.join(", ")}`,
      );
      expect(bytes)
        .to.be.greaterThan(0)
        .and.below(50 * 1024 * 1024); // Lambda's zip upload limit
      for (const pkg of fn.directPackages) expect(fn.packages, fn.shortName).to.include(pkg);
      expect(
        fn.packages.some((p) => p.startsWith("@pulumi/")),
        `${fn.shortName}: Pulumi shipped`,
      ).to.equal(false);
      for (const devOnly of ["typescript", "ts-node", "mocha", "yazl"]) {
        expect(fn.packages, fn.shortName).to.not.include(devOnly);
      }
    }
    for (const name of ["ingest-guard", "filter-builder", "purge-errors"]) {
      const fn = fns.find((f) => f.shortName === name)!;
      expect(fn.packages).to.not.include("parquet-wasm");
      expect(fn.packages).to.not.include("apache-arrow");
      expect(fs.existsSync(path.join(fn.dir, "node_modules/@lethe/runtime/purge")), name).to.equal(false);
      expect(fs.existsSync(path.join(fn.dir, "node_modules/parquet-wasm")), name).to.equal(false);
    }
    const guard = fns.find((f) => f.shortName === "ingest-guard")!;
    expect(guard.directPackages).to.include("lru-cache");
    expect(fns.find((f) => f.shortName === "filter-builder")!.packages).to.not.include("lru-cache");
  });

  it("an unknown function name is an error listing the known ones", async () => {
    let message = "";
    try {
      await packagedFunction("no-such-function");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/unknown function 'no-such-function'/);
    expect(message).to.contain("filter-builder");
  });

  it("runs the filter builder and the ingest guard from their packages with events/*.json", async () => {
    const table = await createOptOutTable();
    const location = await createLakeBucket();
    // The sample ingest event carries cust-0042 (opted out), cust-0007 and a malformed record.
    await new OptOutRegistry(makeDocumentClient(), table).add("cust-0042", "req-1");
    const env = {
      [envNames.optOutTable]: table,
      [envNames.filterBucket]: location.bucket,
      [envNames.filterPrefix]: location.prefix,
      [envNames.kmsKeyArn]: location.kmsKeyArn!,
      [envNames.subjectHashKeyArn]: await createSubjectHashKey(),
      // What the deployed functions run with, whatever an earlier test in this process left set.
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_METRICS_DISABLED: "false",
    };
    const builder = loadPackagedHandler(await packagedFunction("filter-builder"), env);
    const guard = loadPackagedHandler(await packagedFunction("ingest-guard"), env);

    const { result, output } = await captureStdout(async () => {
      const built = (await builder(sampleEvent("filter-builder"))) as Record<string, unknown>;
      const again = (await builder({})) as Record<string, unknown>;
      const forced = (await builder({ force: true })) as Record<string, unknown>;
      const transformed = (await guard(sampleEvent("ingest-guard"))) as { records: { result: string }[] };
      return { built, again, forced, transformed };
    });
    expect(result.built).to.include({ status: "published", generation: 1, itemCount: 1 });
    expect(result.built.message).to.match(/^published generation 1: 1 IDs/);
    expect(result.again).to.include({ status: "unchanged", generation: 1 });
    expect(result.forced).to.include({ status: "published", generation: 2 });
    expect(result.transformed.records.map((r) => r.result)).to.deep.equal([
      "Dropped",
      "Ok",
      "ProcessingFailed",
    ]);

    const lines = output.flatMap((chunk) => chunk.split("\n")).filter((l) => l.trim() !== "");
    const emf = lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
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
    const text = lines.join("\n");
    expect(text).to.contain("batch transformed");
    expect(text, "a raw customer ID reached the logs").to.not.contain("cust-0042");
    expect(text).to.not.contain("cust-0007");
    expect(
      enumerate(
        text + JSON.stringify(result.built),
        Array.from({ length: 10_000 }, (_, i) => `cust-${String(i).padStart(4, "0")}`),
        unkeyedFilterDigests(1e-4),
      ),
      "an unkeyed digest of the opt-out set reached the logs or the reply",
    ).to.deep.equal([]);
  });

  it("has a sample console event for every function", () => {
    for (const fn of fns) {
      expect(
        fs.existsSync(path.join(root, "events", `${fn.shortName}.json`)),
        `events/${fn.shortName}.json`,
      ).to.equal(true);
    }
  });
});
