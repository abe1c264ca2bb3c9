// What a LetheFunction's zip carries, worked out from its factory (infra/components/runtimePackage.ts).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  compiledPath,
  functionContents,
  referencedRuntimeModules,
} from "../../infra/components/runtimePackage";
import { createFilterBuilderHandler } from "../../runtime/handlers/filterBuilder";
import { createIngestTransformerHandler } from "../../runtime/handlers/ingestTransformer";
import { purgeObject } from "../../runtime/purge/objectPurge";
import { keyMatcher } from "../../runtime/subjects/matcher";

const root = path.resolve(__dirname, "../..");
const rel = (f: string) => path.relative(root, f);
const mapper = { name: "m", format: "parquet" as const };

describe("infra: what each function's zip carries", () => {
  it("finds the runtime modules an arrow factory calls, and a factory that is itself an export", () => {
    expect(referencedRuntimeModules(() => createIngestTransformerHandler()).map(rel)).to.deep.equal([
      "runtime/handlers/ingestTransformer.ts",
    ]);
    expect(referencedRuntimeModules(createFilterBuilderHandler).map(rel)).to.deep.equal([
      "runtime/handlers/filterBuilder.ts",
    ]);
    const purge = () => async () =>
      purgeObject({} as never, { bucket: "b", key: "k", mapper, matcher: keyMatcher(["c"], []) });
    expect(referencedRuntimeModules(purge).map(rel)).to.deep.equal([
      "runtime/purge/objectPurge.ts",
      "runtime/subjects/matcher.ts",
    ]);
  });

  it("includes the compiled files reached through requires and worker files, and the packages they need", () => {
    const contents = functionContents(
      "test",
      () => async () =>
        purgeObject({} as never, { bucket: "b", key: "k", mapper, matcher: keyMatcher(["c"], []) }),
    );
    expect(contents.includePaths).to.include.members([
      "node_modules/@lethe/runtime/purge/objectPurge.js",
      "node_modules/@lethe/runtime/formats/parquet/workerPool.js",
      // started by path (new Worker), not required
      "node_modules/@lethe/runtime/formats/parquet/rowGroupWorker.js",
    ]);
    expect(contents.includePaths.some((p) => p.includes("/ingest/"))).to.equal(false);
    expect(contents.packages).to.include.members(["parquet-wasm", "@aws-sdk/client-s3"]);
    expect(contents.excludePackages).to.include("lru-cache").and.not.include("parquet-wasm");
    for (const p of contents.includePaths) expect(fs.existsSync(path.join(root, p)), p).to.equal(true);
  });

  it("keeps the purge engine out of the ingest guard", () => {
    const contents = functionContents("test", () => createIngestTransformerHandler());
    expect(contents.excludePackages).to.include.members(["parquet-wasm", "apache-arrow"]);
    expect(contents.packages).to.include("lru-cache");
    expect(contents.includePaths.some((p) => p.includes("/purge/") || p.includes("/formats/"))).to.equal(
      false,
    );
  });

  it("ships the whole compiled runtime and every dependency for a factory naming no runtime module", () => {
    const contents = functionContents("test", () => async () => ({ ok: true }));
    expect(contents.entries).to.deep.equal([]);
    expect(contents.includePaths).to.deep.equal(["node_modules/@lethe/runtime"]);
    expect(contents.excludePackages).to.deep.equal([]);
  });

  it("compiles every runtime source to its file", () => {
    const source = path.join(root, "runtime/formats/parquet/workerPool.ts");
    const compiled = fs.readFileSync(compiledPath(source), "utf8");
    expect(compiled).to.contain("class RowGroupWorkerPool");
    expect(compiled).to.not.match(/:\s*Worker\[\]/); // types stripped
  });
});
