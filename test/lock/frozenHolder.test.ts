// A holder frozen past its lease (event loop blocked, process paused) must learn that it lost the lock
// on its first look after waking, before any timer had a chance to tell it.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { makeDynamoDbClient } from "../../runtime/aws/clients";
import { LockLostError, MutexKey } from "../../runtime/lock";
import { createLockTable, testMutex } from "../../local/fixtures/lockTable";
import { freezeEventLoop } from "../support/freeze";

describe("lock: a holder frozen past its lease", () => {
  const ddb = makeDynamoDbClient();
  let tableName: string;
  before(async () => {
    tableName = await createLockTable(ddb);
  });

  for (const autoRenew of [true, false]) {
    it(`sees held === false, an aborted signal and a throwing assertHeld at once (autoRenew ${autoRenew})`, async () => {
      const mutex = testMutex(ddb, tableName, "frozen", { defaultLeaseDuration: 0.4, autoRenew });
      const lock = (await mutex.tryAcquireLock(new MutexKey(`s3://lake/frozen-${autoRenew}.parquet`)))!;
      expect(lock.held).to.equal(true);
      freezeEventLoop(600);
      // Synchronously after waking: no timer (expiry or renewal) has run yet.
      const held = lock.held;
      const aborted = lock.signal.aborted;
      let thrown: unknown;
      try {
        lock.assertHeld();
      } catch (e) {
        thrown = e;
      }
      expect(held, "held").to.equal(false);
      expect(aborted, "signal.aborted").to.equal(true);
      expect(thrown).to.be.instanceOf(LockLostError);
      expect((thrown as LockLostError).reason).to.equal("expired");
      expect(lock.signal.reason).to.equal(thrown);
      await mutex.releaseLock(lock);
    });
  }

  it("a held lock passes assertHeld; a released one throws with reason released", async () => {
    const mutex = testMutex(ddb, tableName, "released", { defaultLeaseDuration: 2 });
    const lock = (await mutex.tryAcquireLock(new MutexKey("s3://lake/released.parquet")))!;
    expect(() => lock.assertHeld()).to.not.throw();
    await mutex.releaseLock(lock);
    expect(() => lock.assertHeld())
      .to.throw(LockLostError)
      .with.property("reason", "released");
    expect(lock.signal.aborted, "a normal release never aborts").to.equal(false);
  });

  it("a process paused with SIGSTOP past its lease reports the loss on resume, before acting", async function () {
    if (process.platform === "win32") this.skip();
    const script = path.join(__dirname, "pausedHolder.ts");
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", script, tableName], {
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const lines: string[] = [];
    const nextLine = () =>
      new Promise<string>((resolve, reject) => {
        const take = () => {
          const at = out.indexOf("\n");
          if (at < 0) return false;
          lines.push(out.slice(0, at));
          out = out.slice(at + 1);
          resolve(lines[lines.length - 1]);
          return true;
        };
        if (take()) return;
        const onData = (d: Buffer) => {
          out += d;
          if (take()) child.stdout.off("data", onData);
        };
        child.stdout.on("data", onData);
        child.once("exit", (code) => reject(new Error(`child exited ${code}: ${err}`)));
      });
    expect(await nextLine()).to.equal("acquired");
    child.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 800)); // lease 0.4 s
    child.kill("SIGCONT");
    const verdict = JSON.parse(await nextLine());
    await new Promise((r) => child.once("exit", r));
    // The child checks `held` before every step and "acts" only when it is true.
    expect(verdict).to.deep.equal({ actedAfterLease: 0, lost: "expired" });
  });
});
