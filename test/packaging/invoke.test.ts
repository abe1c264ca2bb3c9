// cli/work/invoke.ts in process: a packaged function run against a local stack's outputs file (mocked
// identifiers mapped to the emulator's), a deployed stack's function called through Lambda Invoke,
// and the outputs files and names it refuses.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { invokeFunction } from "../../cli/work/invoke";
import { localizeEnvironment } from "../../local/erasure/environment";
import { UsageError } from "../../runtime/contracts/errors";
import { buildOptOutFilter } from "../../runtime/ingest/filterBuilder";
import { makeKmsClient, makeS3Client } from "../../runtime/aws/clients";
import { loadSubjectHasher } from "../../runtime/subjects/subjectHash";
import { writeLocalGuardStack } from "./localGuardStack";
import { makeDocumentClient } from "../../runtime/aws/clients";
import { OptOutRegistry } from "../../runtime/ingest/optOutRegistry";
import { getErasureRequest } from "../../runtime/erasure/request";
import { sharedLocalStack } from "../support/localStack";

const root = path.resolve(__dirname, "../..");
const event = (name: string) => path.join(root, "events", `${name}.json`);

describe("packaging: lethe invoke's engine (cli/work/invoke.ts)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-invoke-"));
  const write = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
  };
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function usageError(run: () => Promise<unknown>): Promise<string> {
    try {
      await run();
    } catch (err) {
      expect(err).to.be.instanceOf(UsageError);
      expect((err as Error).message).to.not.contain("\n");
      return (err as Error).message;
    }
    throw new Error("expected a UsageError");
  }

  it("replaces mocked identifiers inside values, longest first", () => {
    const env = localizeEnvironment(
      { A: "arn:aws:kms:eu-west-1:123:key/k1", B: "tbl", C: "tbl-x", D: "other" },
      { "arn:aws:kms:eu-west-1:123:key/k1": "arn:local:k1", tbl: "t-local", "tbl-x": "tx-local" },
    );
    expect(env).to.deep.equal({ A: "arn:local:k1", B: "t-local", C: "tx-local", D: "other" });
  });

  it("runs ingest-guard with events/ingest-guard.json against a local stack", async () => {
    const {
      registry,
      lake,
      file: outputs,
      subjectHashKeyArn,
    } = await writeLocalGuardStack(path.join(dir, "local.json"));
    await buildOptOutFilter(registry, makeS3Client(), lake, {
      falsePositiveRate: 1e-4,
      hasher: await loadSubjectHasher(makeKmsClient(), subjectHashKeyArn),
    });
    const logs: string[] = [];
    const result = await invokeFunction("ingest-guard", event("ingest-guard"), {
      stackOutputsFile: outputs,
      logs: (chunk) => logs.push(chunk),
    });
    expect(result).to.include({ where: "local", failed: false, functionName: "lethe-dev-ingest-guard" });
    const records = (result.reply as { records: { recordId: string; result: string }[] }).records;
    expect(records.map((r) => r.result)).to.deep.equal(["Dropped", "Ok", "ProcessingFailed"]);
    expect(logs.join("")).to.contain("batch transformed");
  });

  it("runs request with events/request.json against a local stack end to end: the filter builder it invokes is served too", async function () {
    // Provisions the local stack from the program and packages two functions.
    this.timeout(900_000);
    const stack = await sharedLocalStack();
    const outputs = write("full.json", stack);
    const ids = (JSON.parse(fs.readFileSync(event("request"), "utf8")) as { customerIds: string[] })
      .customerIds;
    const result = await invokeFunction("request", event("request"), {
      stackOutputsFile: outputs,
      logs: () => undefined,
    });
    expect(result.failed, JSON.stringify(result.reply)).to.equal(false);
    const reply = result.reply as { requestId: string; status: string; optOut: Record<string, unknown> };
    expect(reply.status).to.equal("RECEIVED");
    expect(reply.optOut).to.include({ registered: ids.length, filterStatus: "published" });
    const registry = new OptOutRegistry(makeDocumentClient(), stack.optOutTable);
    expect([...(await registry.optedOut(ids))].sort()).to.deep.equal([...ids].sort());
    expect(await getErasureRequest(makeDocumentClient(), stack.requestsTable, reply.requestId)).to.include({
      status: "RECEIVED",
    });
  });

  it("replies like Lambda when the function fails", async () => {
    const outputs = write("failing.json", {
      local: true,
      endpoint: process.env.AWS_ENDPOINT_URL,
      ingestGuardFunction: "lethe-dev-ingest-guard",
    });
    const bad = write("not-firehose.json", { hello: "world" });
    const result = await invokeFunction("ingest-guard", bad, {
      stackOutputsFile: outputs,
      logs: () => undefined,
    });
    expect(result.failed).to.equal(true);
    expect(result.reply).to.deep.include({
      errorMessage: "not a Firehose transformation event: no records array",
    });
  });

  it("calls a deployed stack's function by the name in its outputs", async () => {
    const outputs = write("deployed.json", { filterBuilderFunction: "lethe-prod-filter-builder" });
    let message = "";
    try {
      await invokeFunction("filter-builder", event("filter-builder"), { stackOutputsFile: outputs });
    } catch (err) {
      message = (err as Error).message;
    }
    // The emulator has no such function: the call reached Lambda, with the deployed name.
    expect(message).to.contain("lethe-prod-filter-builder");
  });

  it("refuses an unknown function, naming the known ones", async () => {
    const message = await usageError(() =>
      invokeFunction("no-such-fn", event("filter-builder"), {
        stackOutputsFile: write("a.json", { local: true }),
      }),
    );
    expect(message).to.match(
      /^unknown function 'no-such-fn': the program has .*filter-builder.*ingest-guard/,
    );
  });

  it("refuses the outputs of another stack or another program", async () => {
    const otherStack = write("other-stack.json", {
      local: true,
      endpoint: "http://127.0.0.1:1",
      filterBuilderFunction: "lethe-prod-filter-builder",
    });
    expect(
      await usageError(() =>
        invokeFunction("filter-builder", event("filter-builder"), { stackOutputsFile: otherStack }),
      ),
    ).to.match(
      /its filterBuilderFunction is 'lethe-prod-filter-builder', the program's is 'lethe-dev-filter-builder'/,
    );
    const deployedOther = write("deployed-other.json", { filterBuilderFunction: "lethe-prod-ingest-guard" });
    expect(
      await usageError(() =>
        invokeFunction("filter-builder", event("filter-builder"), { stackOutputsFile: deployedOther }),
      ),
    ).to.match(/another stack's outputs/);
    const otherProgram = write("other-program.json", { bucket: "x", queueUrl: "y" });
    expect(
      await usageError(() =>
        invokeFunction("filter-builder", event("filter-builder"), { stackOutputsFile: otherProgram }),
      ),
    ).to.match(
      /has no filterBuilderFunction output: not the outputs of this program's stack \(it has bucket, queueUrl\)/,
    );
    expect(
      await usageError(() =>
        invokeFunction("filter-builder", event("filter-builder"), {
          stackOutputsFile: path.join(dir, "missing.json"),
        }),
      ),
    ).to.match(/cannot read stack outputs file .*missing\.json.*no such file/);
  });
});
