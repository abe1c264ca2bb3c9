// Lambda Invoke for a local stack: the emulator cannot run our functions, so this serves Lambda's
// Invoke API (`POST /2015-03-31/functions/<name>/invocations`) on a loopback port from handlers in
// this process (packaged functions, or any handler a test gives). A function that calls another one
// through the Lambda client (the request function invoking the filter builder) reaches it when its
// AWS_ENDPOINT_URL_LAMBDA names this server: the deployed code path, run locally.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export type LocalLambdaHandler = (event: unknown) => Promise<unknown>;

export interface LocalLambda {
  endpoint: string;
  /** Invocations served, by function name. */
  invocations: Record<string, number>;
  close(): Promise<void>;
}

const invokePath = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Serves Invoke for `handlers` (by function name or ARN's last part) until closed. */
export async function serveLocalLambda(handlers: Record<string, LocalLambdaHandler>): Promise<LocalLambda> {
  const invocations: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      const m = invokePath.exec((req.url ?? "").split("?")[0]);
      const name = m ? decodeURIComponent(m[1]).split(":").pop()! : "";
      const handler = handlers[name];
      if (!m || req.method !== "POST" || !handler) {
        reply(
          404,
          { Type: "User", message: `Function not found: ${name || req.url}` },
          { "x-amzn-errortype": "ResourceNotFoundException" },
        );
        return;
      }
      invocations[name] = (invocations[name] ?? 0) + 1;
      let event: unknown = null;
      try {
        const text = Buffer.concat(chunks).toString("utf8");
        event = text === "" ? null : JSON.parse(text);
      } catch {
        reply(
          400,
          { message: "the payload is not JSON" },
          { "x-amzn-errortype": "InvalidRequestContentException" },
        );
        return;
      }
      handler(event).then(
        (out) => reply(200, out ?? null, { "x-amz-executed-version": "$LATEST" }),
        (err: Error) =>
          // What Lambda answers when the function throws: 200, the error as the payload.
          reply(
            200,
            { errorType: err?.name ?? "Error", errorMessage: err?.message ?? String(err) },
            { "x-amz-function-error": "Unhandled", "x-amz-executed-version": "$LATEST" },
          ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    close: () =>
      new Promise<void>((resolve) => {
        // Clients keep connections alive; closing waits for none of them.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
