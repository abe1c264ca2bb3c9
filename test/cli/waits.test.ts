// Every wait over 2 s says what it waits for: the narrator names the awaited thing once stderr has
// been silent for a while, and `lethe status` (packaging and running a function, tens of seconds
// cold) says it is waiting for the status function rather than sitting silent.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { eraseWaitAfter, narrateWaits, stepWait } from "../../cli/waits";
import { sharedLocalStack } from "../support/localStack";

const bin = path.resolve(__dirname, "../../bin/lethe");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("cli: long waits say what they wait for", function () {
  this.timeout(300_000);

  it("the narrator names the wait after a silence, again after a longer one, never while output flows", async () => {
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => (
      lines.push(chunk.toString()),
      true
    )) as typeof process.stderr.write;
    try {
      const n = narrateWaits("lethe test", { afterMs: 150, everyMs: 400, tickMs: 20 });
      n.waitingFor("the drain");
      for (let i = 0; i < 6; i++) {
        process.stderr.write(`progress ${i}\n`);
        await sleep(50);
      }
      expect(lines.filter((l) => l.includes("waiting for"))).to.deep.equal([]);
      await sleep(300);
      expect(lines.filter((l) => l.includes("waiting for"))).to.have.length(1);
      await sleep(500);
      n.waitingFor(undefined);
      await sleep(300);
      n.stop();
      const notices = lines.filter((l) => l.includes("waiting for"));
      expect(notices).to.have.length(2);
      expect(notices[0]).to.match(/^lethe test: waiting for the drain \(\d+ s so far\)\n$/);
    } finally {
      process.stderr.write = write;
    }
  });

  it("erase names the drain (its seconds) and the batch's steps; nothing once the request ended", () => {
    expect(stepWait({ step: "forget" }, 10)).to.match(/draining for 10 s .*--drain-seconds/);
    expect(stepWait({ step: "verify" }, 10)).to.equal("verify");
    expect(eraseWaitAfter("request r-1 received; deadline 2027-01-01")).to.match(/the batch function/);
    expect(eraseWaitAfter("request r-1: COMPLETED")).to.equal(undefined);
  });

  it("lethe status against the local stack: a wait over 2 s is named on stderr", async () => {
    const stack = await sharedLocalStack();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lethe-waits-")), "local.json");
    fs.writeFileSync(file, JSON.stringify(stack));
    const started = Date.now();
    const r = await new Promise<{ code: number | null; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, "status", "no-such-request", "--stack-outputs", file]);
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, err }));
    });
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.err).to.equal(2);
    expect(r.err).to.match(/does not exist/);
    // A warm run may answer within 2 s, with nothing to say; a slower one names its wait.
    if (seconds > 3)
      expect(r.err).to.match(/^lethe status: waiting for the status function \(\d+ s so far\)$/m);
  });
});
