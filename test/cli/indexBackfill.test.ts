// `lethe index backfill` as a user runs it, against the emulator: progress on stderr, a summary on
// stdout, resumable through its checkpoint directory, usage errors exit 2.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeDocumentClient, makeS3Client } from "../../runtime/aws/clients";
import { lookupSubjects } from "../../runtime/erasure/metastore/indexStore";
import { envNames } from "../../runtime/contracts/env";
import { indexHasherFromEnv } from "../../runtime/erasure/metastore/indexHasher";
import { sharedLocalStack } from "../support/localStack";
import { createBucketLike } from "../../local/stack/copies";
import { uploadTree } from "../../local/fixtures/lakeTree";
import { keysIn } from "../purge/pyarrow";
import { mappersOver, writeLake } from "../erasure/find/lake";

const bin = path.resolve(__dirname, "../../bin/lethe");

function lethe(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {});
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("cli: lethe index backfill", function () {
  this.timeout(300_000);
  let dir: string;
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("indexes a mapper's objects from the stack outputs file, with progress on stderr", async () => {
    const s3 = makeS3Client();
    const stack = await sharedLocalStack();
    const bucket = await createBucketLike("lakeBucket", `${stack.lakeBucket}-cli`, stack.kmsKeyArn);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-cli-index-"));
    const lake = writeLake();
    fs.cpSync(path.join(lake, "orders/dt=2024-03-03"), path.join(dir, "lake/orders/dt=2024-03-03"), {
      recursive: true,
    });
    const subject = keysIn(path.join(lake, "orders/dt=2024-03-03/part-01.parquet"), ["customer_id"], 1)[0];
    fs.rmSync(lake, { recursive: true, force: true });
    await uploadTree(s3, path.join(dir, "lake"), bucket);
    const mappers = mappersOver(bucket);
    const outputs = path.join(dir, "outputs.json");
    fs.writeFileSync(
      outputs,
      JSON.stringify({
        indexTable: stack.indexTable,
        subjectHashKeyArn: stack.subjectHashKeyArn,
        dataMappers: [mappers.byCustomer, mappers.clicks],
      }),
    );
    const checkpoints = path.join(dir, "checkpoints");

    const r = await lethe(
      "index",
      "backfill",
      "--mapper",
      "orders-customer",
      "--stack-outputs",
      outputs,
      "--checkpoint-dir",
      checkpoints,
    );
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^orders-customer: indexed 10 version\(s\), \d+ entries\n$/);
    expect(r.err.split("\n").filter((l) => l.startsWith("orders-customer: "))).to.have.length(10);
    const entries = await lookupSubjects(
      makeDocumentClient(),
      stack.indexTable,
      [subject],
      await indexHasherFromEnv({ [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn }),
    );
    expect(entries.map((e) => e.key)).to.include("orders/dt=2024-03-03/part-01.parquet");
    expect(fs.existsSync(path.join(checkpoints, "index-backfill-orders-customer.json"))).to.equal(true);

    const unknown = await lethe("index", "backfill", "--mapper", "nope", "--stack-outputs", outputs);
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.match(/no data mapper named nope; the stack has orders-customer, clicks/);
    const missing = await lethe("index", "backfill");
    expect(missing.code).to.equal(2);
    expect(missing.err).to.match(/--stack-outputs <file> is required/);
    expect(missing.err).to.match(/or --stack <name>/);
  });
});
