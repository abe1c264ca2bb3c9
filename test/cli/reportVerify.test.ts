// Signed reports, checked as an auditor checks them: the report task signs each report with the
// stack's report signing key (KMS in the emulator); `lethe report --out` saves the bytes as stored
// and their signature; `lethe report verify` passes on the saved report.json and on the certificate
// of an erasure that removed rows, one that found nothing, one that was not completed (rejected) and
// one that needs attention, and fails on a one-byte change of each; openssl alone checks the same signature (docs/report.md).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import type { ErasureReport } from "../../runtime/contracts/report";
import { reportKey } from "../../runtime/contracts/report";
import { publicKeyOf, signatureMetadataKey } from "../../runtime/contracts/reportSignature";
import { main } from "../../cli/index";
import { captureStdout } from "../support/captureStdout";
import { reportFixture, ReportFixture } from "../support/sampleReports";

/** `file` with the byte at `at` changed (to another printable character). */
function flipByte(file: string, at: number, out: string): string {
  const b = fs.readFileSync(file);
  b[at] = b[at] === 0x31 ? 0x32 : 0x31;
  fs.writeFileSync(out, b);
  return out;
}

describe("cli: lethe report verify (signed reports)", function () {
  this.timeout(240_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-report-verify-"));
  let f: ReportFixture;
  let outputs: string;
  let stackPem: string;
  const reports: Record<"erased" | "nothing-found" | "rejected" | "needs-attention", ErasureReport> =
    {} as never;
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    f = await reportFixture();
    reports.erased = (await f.reported({ ending: "verified" })).reports[0];
    reports["nothing-found"] = (await f.reported({ ending: "nothing-found" })).reports[0];
    reports.rejected = (await f.reported({ ending: "rejected" })).reports[0];
    reports["needs-attention"] = (await f.reported({ ending: "needs-attention" })).reports[0];
    outputs = path.join(dir, "local.json");
    fs.writeFileSync(outputs, JSON.stringify({ ...f.stack, reportBucket: f.deps.reportBucket.bucket }));
    stackPem = path.join(dir, "stack.pem");
    fs.writeFileSync(stackPem, f.stack.reportSigningPublicKey);
  });

  const lethe = (...args: string[]) => captureStdout(() => main(args));

  it("each report names the stack's signing key, and its signature is in the object's metadata", async () => {
    const stackKey = publicKeyOf(f.stack.reportSigningPublicKey);
    for (const r of Object.values(reports)) {
      expect(r.signedWith?.fingerprint).to.equal(stackKey.fingerprint);
      expect(r.signedWith?.keyArn).to.equal(f.stack.reportSigningKeyArn);
      expect(r.producedBy).to.include({ stack: f.stack.stack, emulator: true });
      expect(r.auditChain?.entries).to.equal(r.audit.length);
      const head = await f.deps.s3.send(
        new HeadObjectCommand({ Bucket: f.deps.reportBucket.bucket, Key: reportKey(r.requestId) }),
      );
      expect(head.Metadata?.[signatureMetadataKey]).to.match(/^[A-Za-z0-9+/]+=*$/);
    }
    expect(reports.erased.verdict).to.equal("ERASED");
    expect(reports["nothing-found"].verdict).to.equal("NOTHING_FOUND");
    expect(reports.rejected.verdict).to.equal("NOT_COMPLETED");
    expect(reports["needs-attention"]).to.include({ state: "NEEDS_ATTENTION", verdict: "NOT_COMPLETED" });
  });

  it("report.json saved with --out verifies with the stack's public key and with openssl; a changed byte fails both", async () => {
    const file = path.join(dir, "report.json");
    const saved = await lethe("report", reports.erased.requestId, "--out", file, "--stack-outputs", outputs);
    expect(saved.result).to.equal(0);
    expect(fs.existsSync(`${file}.sig`)).to.equal(true);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.deep.equal(reports.erased);

    const ok = await lethe("report", "verify", file, "--public-key", stackPem);
    expect(ok.result, ok.output.join("")).to.equal(0);
    expect(ok.output.join("")).to.match(/^VERIFIED: /);
    expect(ok.output.join("")).to.include(publicKeyOf(f.stack.reportSigningPublicKey).fingerprint);

    const changed = flipByte(
      file,
      fs.readFileSync(file).indexOf('"rowsRemoved": ') + 15,
      path.join(dir, "changed.json"),
    );
    fs.copyFileSync(`${file}.sig`, `${changed}.sig`);
    const bad = await lethe("report", "verify", changed, "--public-key", stackPem);
    expect(bad.result).to.equal(1);
    expect(bad.output.join("")).to.match(/^NOT VERIFIED: .*\n.*the report was changed after it was signed/);

    // The same check with openssl alone, exactly as docs/report.md shows it.
    const openssl = (report: string) =>
      spawnSync("openssl", ["dgst", "-sha256", "-verify", stackPem, "-signature", `${file}.sig`, report], {
        encoding: "utf8",
      });
    expect(openssl(file).stdout.trim()).to.equal("Verified OK");
    expect(openssl(changed).status).to.equal(1);
    expect(openssl(changed).stdout.trim()).to.equal("Verification failure");
  });

  const certificateOf = {
    erased: "an erasure that removed rows",
    "nothing-found": "an erasure that found nothing",
    rejected: "a request that was not completed (rejected)",
    "needs-attention": "a batch that needs attention (not completed, to be retried)",
  };
  for (const ending of ["erased", "nothing-found", "rejected", "needs-attention"] as const) {
    it(`the certificate of ${certificateOf[ending]} verifies; a one-byte change of its page or of its signed bytes fails`, async () => {
      const r = reports[ending];
      const file = path.join(dir, `certificate-${ending}.html`);
      const saved = await lethe(
        "report",
        r.requestId,
        "--format",
        "html",
        "--out",
        file,
        "--stack-outputs",
        outputs,
      );
      expect(saved.result).to.equal(0);
      const page = fs.readFileSync(file, "utf8");
      expect(page).to.include(r.signedWith!.fingerprint);
      expect(page).to.not.match(/<script/i);
      if (ending === "needs-attention") {
        // Why it stopped and what resumes it, and the rows removed so far.
        expect(page).to.include("Lethe.VerifyRoundsExhausted");
        expect(page).to.include(`lethe retry ${r.batchId}`);
        expect(r.attention).to.deep.equal({
          reason:
            "lake: Lethe.VerifyRoundsExhausted: verify still found 1 object(s) holding 3 subject row(s) after 3 round(s)",
          action: `lethe retry ${r.batchId}`,
        });
        expect(r.verification).to.include({ remainingRows: 3, rounds: 3 });
        expect(r.rawIdsDropped).to.equal(false);
      }

      const ok = await lethe("report", "verify", file, "--public-key", stackPem);
      expect(ok.result, ok.output.join("")).to.equal(0);
      expect(ok.output.join("")).to.include("the certificate shows exactly that report");
      // Without --public-key: the key the report names, and a word on what that does not prove.
      const self = await lethe("report", "verify", file);
      expect(self.result).to.equal(0);
      expect(self.output.join("")).to.include(
        "compare its fingerprint with the stack's reportSigningPublicKey",
      );

      // A visible byte: the verdict's text.
      const visible = flipByte(
        file,
        page.indexOf('id="verdict">') + 14,
        path.join(dir, `visible-${ending}.html`),
      );
      const v = await lethe("report", "verify", visible, "--public-key", stackPem);
      expect(v.result).to.equal(1);
      expect(v.output.join("")).to.include("the page was edited");
      // A byte of the signed report itself (inside its base64).
      const embedded = flipByte(
        file,
        page.indexOf('name="lethe-signed-report" content="') + 60,
        path.join(dir, `embedded-${ending}.html`),
      );
      const e = await lethe("report", "verify", embedded, "--public-key", stackPem);
      expect(e.result).to.equal(1);
      expect(e.output.join("")).to.match(/NOT VERIFIED/);
    });
  }

  it("a report signed by another key fails against the stack's key; a missing file is a usage error", async () => {
    const file = path.join(dir, "report-other.json");
    await lethe("report", reports.erased.requestId, "--out", file, "--stack-outputs", outputs);
    const { generateKeyPairSync } = await import("node:crypto");
    const other = path.join(dir, "other.pem");
    fs.writeFileSync(
      other,
      generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }),
    );
    const bad = await lethe("report", "verify", file, "--public-key", other);
    expect(bad.result).to.equal(1);
    const missing = await lethe("report", "verify", path.join(dir, "nope.json"));
    expect(missing.result).to.equal(2);
  });
});
