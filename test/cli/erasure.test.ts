// `lethe erase|status|approve|reject|cancel`: bad input refused in one line with exit 2 before
// anything is sent (bin/lethe in a child process), and `erase --wait` against a local stack run to
// COMPLETED in process with the program's packaged functions.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { getErasureRequest } from "../../runtime/erasure/request";
import { erase, cancel, requestStatusOf } from "../../cli/work/erasureCommands";
import { writeSampleLake } from "../../local/fixtures/sampleLake";
import { UsageError } from "../../runtime/contracts/errors";
import { sharedLocalStack } from "../support/localStack";

const root = path.resolve(__dirname, "../..");

function lethe(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, "bin", "lethe"), ...args], {
    encoding: "utf8",
    cwd: root,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("cli: lethe erase / status / approve / reject / cancel", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-erase-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses bad input in one line with exit 2, before reading any stack", () => {
    const missing = path.join(dir, "none.json");
    const idsFile = path.join(dir, "ids.txt");
    fs.writeFileSync(idsFile, "c-1\n\nc-3\n");
    for (const [args, message] of [
      [["erase", "--stack-outputs", missing], /^lethe: erase: give at least one customer ID/],
      [
        ["erase", "c-1", "", " ", "--stack-outputs", missing],
        /^lethe: ID 2: the ID is empty; ID 3: the ID is blank$/,
      ],
      [
        ["erase", "--ids-file", idsFile, "--stack-outputs", missing],
        /^lethe: --ids-file .*ids\.txt: line 2 is blank$/,
      ],
      [["erase", "c-1", "--drain-seconds", "soon"], /^lethe: --drain-seconds must be a whole number/],
      [["reject", "batch-1", "--stack-outputs", missing], /^lethe: reject needs --reason <text>/],
      [["status", "--stack-outputs", missing], /^lethe: missing required argument 'requestId'/],
      [
        ["erase", "c-1", "--stack-outputs", missing],
        /^lethe: cannot read stack outputs file '.*none\.json': no such file$/,
      ],
    ] as const) {
      const r = lethe(...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).to.equal(2);
      // The first run after a source change also says it compiles the CLI.
      const lines = r.stderr.split("\n").filter((l) => !l.startsWith("lethe: compiling the CLI"));
      expect(lines[0], args.join(" ")).to.match(message);
    }
  });

  it("erase --wait against the local stack: the batch runs to its end in process (found, forgotten, verified clean); unknown ids refused", async function () {
    this.timeout(900_000);
    const stack = await sharedLocalStack();
    const outputs = path.join(dir, "local.json");
    fs.writeFileSync(outputs, JSON.stringify(stack));
    const run = randomUUID().slice(0, 8);
    const customers = Array.from({ length: 40 }, (_, i) => `cli-${run}-${i}`);
    const objects = await writeSampleLake(makeS3Client(), stack.lakeBucket, {
      days: [new Date().toISOString().slice(0, 10)],
      objectsPerDay: 2,
      rowsPerObject: 400,
      rowGroupRows: 200,
      customers,
      runId: run,
    });
    const subjects = [customers[3], customers[17]];
    expect(objects.some((o) => (o.rowsByCustomer.get(subjects[0]) ?? 0) > 0)).to.equal(true);
    const started = Date.now();
    const result = await erase(
      { ids: subjects, reason: "cli test", requestedBy: "test", wait: true },
      { stackOutputsFile: outputs, drainSeconds: 0 },
    );
    console.log(
      `      erase --wait: ${((Date.now() - started) / 1000).toFixed(1)} s to ${result.status?.state}`,
    );
    const expectedRows = objects.reduce(
      (n, o) => n + subjects.reduce((m, id) => m + (o.rowsByCustomer.get(id) ?? 0), 0),
      0,
    );
    // The request ran its batch to the end in this process: found, forgotten, verified clean.
    const batch = result.status?.batch as {
      rowsRemoved: number;
      steps: Record<string, { counts: Record<string, number> }>;
    };
    expect(batch.rowsRemoved, JSON.stringify(result.status)).to.equal(expectedRows);
    expect(batch.steps.verify.counts).to.include({ remainingRows: 0, hits: 0 });
    expect(result.ok).to.equal(result.status?.state === "COMPLETED");
    const item = await getErasureRequest(makeDocumentClient(), stack.requestsTable, result.request.requestId);
    expect(item?.status).to.equal(result.status?.state);
    expect(item?.batchId).to.equal((result.batch as { batchId: string }).batchId);
    const items = await makeDocumentClient().send(new ScanCommand({ TableName: stack.requestsTable }));
    expect(JSON.stringify(items.Items)).to.not.include(subjects[0]);

    const status = (await requestStatusOf(result.request.requestId, { stackOutputsFile: outputs })) as {
      state: string;
    };
    expect(status.state).to.equal(result.status?.state);
    let refused: unknown;
    try {
      await cancel("no-such-id", undefined, { stackOutputsFile: outputs });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(UsageError);
    expect((refused as Error).message).to.equal("cancel: no request or batch no-such-id");
  });
});
