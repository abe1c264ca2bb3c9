// The functions' JSON log records, diverted to a file while a local command runs; the command's own
// lines still reach the terminal, and everything is put back afterwards.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { divertFunctionLogs } from "../../cli/functionLogs";

describe("cli: function logs to a file", () => {
  it("JSON records on stdout and stderr go to the file; other lines pass; restore puts the streams back", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lethe-logs-")), "logs", "demo.log");
    const seen: string[] = [];
    const [out, err] = [process.stdout.write, process.stderr.write];
    const capture = ((chunk: string | Uint8Array) => (seen.push(chunk.toString()), true)) as typeof out;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
      const logs = divertFunctionLogs(file);
      process.stdout.write('{"level":"INFO","message":"purged","service":"lethe-purge"}\n');
      process.stderr.write('{"level":"WARN","message":"retrying","service":"lethe-find"}\n');
      process.stderr.write("lethe demo ingest: 1/2 dt=2026-12-01\n");
      logs.restore();
      expect(logs.records()).to.equal(2);
      expect(process.stdout.write).to.equal(capture);
      process.stderr.write('{"after":"restore"}\n');
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(seen).to.deep.equal(["lethe demo ingest: 1/2 dt=2026-12-01\n", '{"after":"restore"}\n']);
    const records = fs
      .readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.message)).to.deep.equal(["purged", "retrying"]);
  });
});
