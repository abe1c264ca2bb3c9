// Loading a TypeScript module (the Pulumi program, a policy pack) from a process that runs compiled
// JavaScript (the CLI's .lethe/build/): registers ts-node's transpile-only loader once, as `pulumi`
// does for a TypeScript program. Under ts-node already (tests, benchmarks) it does nothing.
import * as path from "node:path";
import { projectRoot } from "../../runtime/contracts/projectConfig";

export function ensureTypeScriptLoader(): void {
  if (require.extensions[".ts"]) return;
  require("ts-node").register({ transpileOnly: true, project: path.join(projectRoot(), "tsconfig.json") });
}
