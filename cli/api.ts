// `lethe api --local`: the HTTP API served on 127.0.0.1 against the local stack (tools/apiServer.ts),
// until Ctrl-C. Deployed, the API is API Gateway's (stack output apiUrl).
import { parseArgs } from "node:util";
import { CommandGroup, UsageError } from "./command";
import { startApiServer } from "../tools/apiServer";
import { defaultStackOutputsFile } from "../tools/invoke";

const usage = `lethe api --local [--port <n>] [--stack-outputs <file>] [--stack <name>]
    serves the HTTP API (the routes of docs/openapi.json) on 127.0.0.1 against the local stack in
    <file> (default ${defaultStackOutputsFile}), running the packaged functions in this process`;

export const apiCommands: CommandGroup = {
  usage,
  async run(args) {
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args,
        strict: true,
        options: {
          local: { type: "boolean" },
          port: { type: "string" },
          "stack-outputs": { type: "string" },
          stack: { type: "string" },
        },
      }));
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${usage}`);
    }
    if (!values.local)
      throw new UsageError(`the deployed API is API Gateway's (stack output apiUrl); locally: ${usage}`);
    const port = values.port === undefined ? 8080 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be a port number (0-65535), got '${values.port}'`);
    const server = await startApiServer({
      port,
      stackOutputsFile: values["stack-outputs"] as string | undefined,
      stack: values.stack as string | undefined,
    });
    process.stdout.write(`lethe api: serving ${server.url} (GET ${server.url}/openapi.json); Ctrl-C stops\n`);
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    await server.close();
    return 0;
  },
};
