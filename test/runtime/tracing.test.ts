// Traces as a deployed function sends them: a handler wrapped by letheHandler, run in a child process
// with the environment Lambda gives a traced function, its X-Ray SDK pointed at the local collector
// (local/traceCollector.ts). The collector's file for the trace holds the invocation's subsegment
// under Lambda's, the SDK call and the subsystem exchange under it, the failure marked by its error's
// name; every log line carries the trace id; no subject ID is anywhere in the trace.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { newTraceHeader, readTrace, startTraceCollector, TraceCollector } from "../../local/traceCollector";
import { startSubsystemDouble, SubsystemDouble } from "../support/subsystemDouble";

const root = path.resolve(__dirname, "../..");
const probeSubject = "cust-trace-probe-4711";

describe("tracing: letheHandler's segments, as X-Ray receives them", () => {
  let collector: TraceCollector;
  let double: SubsystemDouble;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lethe-traces-"));
    collector = await startTraceCollector(dir);
    double = await startSubsystemDouble({ behaviour: "sync", secret: "s3cret" });
  });
  after(async () => {
    await collector.close();
    await double.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("links the invocation, its SDK call and its subsystem exchange in one trace, the trace id in every log line, no ID", async () => {
    const lambdaParent = "53995c3f42cd8ad8";
    const { root: traceId, header } = newTraceHeader(lambdaParent);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(root, "test/support/traceProbe.ts")],
      {
        cwd: root,
        env: {
          ...process.env,
          AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
          LAMBDA_TASK_ROOT: root,
          _X_AMZN_TRACE_ID: header,
          AWS_XRAY_DAEMON_ADDRESS: collector.address,
          POWERTOOLS_TRACER_CAPTURE_RESPONSE: "false",
          POWERTOOLS_TRACER_CAPTURE_ERROR: "false",
          TRACE_PROBE_SUBSYSTEM_URL: double.url,
          TRACE_PROBE_SUBJECT: probeSubject,
        },
      },
    );
    // Both invocations: the handler, the SDK call and the exchange each (UDP: give them a moment).
    for (let i = 0; i < 50 && collector.received() < 6; i++) await new Promise((r) => setTimeout(r, 100));

    const logs = stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(logs).to.have.length(2);
    for (const line of logs) expect(line.xray_trace_id).to.equal(traceId);

    const docs = readTrace(dir, traceId);
    const invocations = docs.filter((d) => d.name === "## lethe-trace-probe");
    expect(invocations).to.have.length(2);
    for (const inv of invocations) {
      expect(inv.parent_id, "under Lambda's own segment").to.equal(lambdaParent);
      const children = docs.filter((d) => d.parent_id === inv.id).map((d) => d.name);
      expect(children).to.include.members(["DynamoDB", "subsystem crm"]);
    }
    const [ok, failed] = invocations.sort((a, b) => a.start_time - b.start_time);
    expect(ok.annotations).to.deep.equal({ Service: "lethe-trace-probe", ColdStart: true });
    expect(ok.error).to.equal(undefined);
    expect(failed.annotations).to.deep.include({ ColdStart: false, ErrorType: "Error" });
    expect(failed.error).to.equal(true);
    const exchange = docs.find((d) => d.name === "subsystem crm" && d.parent_id === ok.id)!;
    expect(exchange.annotations).to.deep.include({ store: "crm", method: "POST", httpStatus: 200 });
    expect(double.accepted).to.equal(2);

    const text = fs.readFileSync(path.join(dir, `${traceId}.jsonl`), "utf8");
    expect(text).to.not.include(probeSubject);
    expect(stdout).to.not.include(probeSubject);
  });
});
