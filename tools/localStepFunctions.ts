// Step Functions StartExecution for a local stack: the emulator holds the state machine but runs
// nothing, so this serves StartExecution (JSON 1.0, `AWSStepFunctions.StartExecution`) on a loopback
// port by handing the input to a local runner (startLocalBatch). The batch function, packaged and
// unchanged, starts its execution here when its AWS_ENDPOINT_URL_SFN names this server.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface LocalStepFunctions {
  endpoint: string;
  close(): Promise<void>;
}

/** `start(name, input)` runs the execution (it must not wait for its end) and returns its ARN. */
export async function serveLocalStepFunctions(
  start: (name: string, input: unknown, stateMachineArn: string) => Promise<string>,
): Promise<LocalStepFunctions> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers["x-amz-target"] ?? "");
      if (target !== "AWSStepFunctions.StartExecution") {
        reply(400, { __type: "UnknownOperationException", message: `${target} is not served locally` });
        return;
      }
      let body: { stateMachineArn?: string; name?: string; input?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        reply(400, { __type: "InvalidExecutionInput", message: "the request is not JSON" });
        return;
      }
      start(body.name ?? "", JSON.parse(body.input ?? "{}"), body.stateMachineArn ?? "").then(
        (executionArn) => reply(200, { executionArn, startDate: Date.now() / 1000 }),
        (err: Error) => reply(400, { __type: err.name ?? "InvalidExecutionInput", message: err.message }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
