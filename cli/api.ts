// `lethe api --local`: the HTTP API served on 127.0.0.1 against the local stack (cli/work/apiServer.ts),
// until Ctrl-C. Deployed, the API is API Gateway's (stack output apiUrl). Parsing and printing only.
import { Command } from "commander";
import { StackFlags, UsageError, action, examples, stackOptions, wholeNumber } from "./command";
import { withWaitLabel } from "./waits";

interface ApiOptions extends StackFlags {
  local?: boolean;
  port: number;
}

async function apiCommand(o: ApiOptions): Promise<number> {
  if (!o.local)
    throw new UsageError(
      "the deployed API is API Gateway's (stack output apiUrl); locally: lethe api --local",
    );
  if (o.port > 65535) throw new UsageError(`--port must be a port number (0-65535), got ${o.port}`);
  const { startApiServer } = await import("./work/apiServer");
  const server = await withWaitLabel(
    "lethe api",
    "the API and console functions (packaged as `pulumi up` would) and the local Lambda endpoint",
    () => startApiServer({ port: o.port, stackOutputsFile: o.stackOutputs, stack: o.stack }),
  );
  process.stdout.write(
    `lethe api: serving ${server.url} (GET ${server.url}/openapi.json); the console: ${server.url}/console; Ctrl-C stops\n`,
  );
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  await server.close();
  return 0;
}

export function registerApi(program: Command): void {
  examples(
    action(
      stackOptions(
        program
          .command("api")
          .description(
            "serve the HTTP API (the routes of docs/openapi.json) on 127.0.0.1 against the local stack, running the packaged functions in this process",
          )
          .option("--local", "serve against the local stack (`lethe up --local`)")
          .option("--port <n>", "the port (0 picks a free one)", wholeNumber("port", 0), 8080),
      ),
      apiCommand,
    ),
    [
      "lethe api --local",
      "lethe api --local --port 9000",
      "curl http://127.0.0.1:8080/openapi.json",
      "open http://127.0.0.1:8080/console (the operator console, docs/console.md)",
    ],
    "0 stopped with Ctrl-C; 2 usage error",
  );
}
