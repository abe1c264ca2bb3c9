// Schema-driven: schemathesis (the test venv, requirements-test.txt) generates calls for every
// operation of the served /openapi.json against `lethe api --local`'s server and checks that none
// answers 5xx and no answer contradicts the document (status, content type, body schema). Eight
// examples per operation keep the run short (each filed request runs the request function).
import { expect } from "chai";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeDocumentClient } from "../../runtime/aws/clients";
import type { LocalStack } from "../../runtime/contracts/stack";
import { requestTarget } from "../../runtime/erasure/batches";
import { requestsInState } from "../../runtime/erasure/requestPages";
import { moveState } from "../../runtime/erasure/stateMoves";
import { ApiServer, startApiServer } from "../../cli/work/apiServer";
import { sharedLocalStack } from "../support/localStack";

const schemathesis = path.resolve(__dirname, "..", "..", ".venv", "bin", "schemathesis");

describe("HTTP API: schemathesis against /openapi.json", function () {
  this.timeout(900_000);
  let server: ApiServer;
  let stack: LocalStack;
  const started = new Date().toISOString();

  before(async () => {
    stack = await sharedLocalStack();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lethe-st-")), "local.json");
    fs.writeFileSync(file, JSON.stringify(stack));
    server = await startApiServer({
      stackOutputsFile: file,
      throttle: { rateLimit: 10_000, burstLimit: 10_000 },
    });
  });
  // The requests schemathesis filed stay open in the shared stack, where a later test's batch would
  // take them (with generated composite keys among them): they are cancelled.
  after(async () => {
    await server?.close();
    const doc = makeDocumentClient();
    for (const r of await requestsInState<{ requestId: string; receivedAt: string }>(
      doc,
      stack.requestsTable,
      "RECEIVED",
    ))
      if (r.receivedAt >= started)
        await moveState(doc, requestTarget({ doc, ...stack }, r.requestId), "CANCELLED").catch(
          () => undefined,
        );
  });

  it("finds no server error and no answer that contradicts the document", async () => {
    expect(fs.existsSync(schemathesis), "schemathesis is in .venv (scripts/ensure-venv.sh)").to.equal(true);
    const run = await new Promise<{ status: number | null; out: string }>((resolve) => {
      // Asynchronously: the server answering it runs in this process.
      const child: ChildProcess = spawn(
        schemathesis,
        [
          "run",
          `${server.url}/openapi.json`,
          "--url",
          server.url,
          "--checks",
          "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
          "--max-examples",
          "8",
          "--phases",
          "examples,fuzzing",
          "--no-color",
          // API Gateway waits this long for the function; filing a request runs the request function.
          "--request-timeout",
          "29",
        ],
        { env: { ...process.env, SCHEMATHESIS_HOOKS: "" } },
      );
      let out = "";
      child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
      child.on("close", (status) => resolve({ status, out }));
    });
    // The failures and errors sections, long percent-encoded runs shortened, say what failed.
    const found = run.out.slice(Math.max(0, run.out.search(/={5,} (FAILURES|ERRORS) ={5,}/)));
    expect(run.status, found.replace(/(%[0-9A-F]{2}){16,}/g, "%…").slice(0, 6000)).to.equal(0);
    expect(run.out).to.match(/passed/i);
  });
});
