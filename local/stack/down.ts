// `lethe down --local`: removes from the emulator named in an outputs file what `lethe up --local`
// made there, in the reverse order, then the outputs file. What is already gone is skipped.
import * as fs from "node:fs";
import { resolveClientConfig } from "../../runtime/aws/clients";
import { declared, localClients, LocalContext } from "./context";
import { programDeclarations } from "./declarations";
import { checkEndpoint, defaultLocalCredentials, provisioningError } from "./endpoint";
import { readOutputsFile } from "./outputsFile";
import { translators } from "./translators";

export interface DownResult {
  endpoint: string;
  stack: string;
  /** Resources removed (or found already gone), per type. */
  removed: Record<string, number>;
  seconds: number;
}

export async function downLocal(options: { outputs: string; program?: string }): Promise<DownResult> {
  const started = Date.now();
  const local = readOutputsFile(options.outputs);
  const source = `the endpoint in ${options.outputs}`;
  await checkEndpoint(local.endpoint, source);
  defaultLocalCredentials();
  const run = await programDeclarations(local.stack, options.program ?? local.program);
  const ctx: LocalContext = {
    clients: localClients({ endpoint: local.endpoint, maxAttempts: 2 }),
    endpoint: local.endpoint,
    region: resolveClientConfig().region,
    localResources: local.localResources,
  };
  const removed: Record<string, number> = {};
  for (const r of [...run.resources].reverse()) {
    const down = translators[r.type]?.down;
    if (!down) continue;
    try {
      await down(declared(r, ctx.localResources), ctx);
    } catch (err) {
      throw provisioningError(local.endpoint, `${r.type} ${r.name}`, err, source);
    }
    removed[r.type] = (removed[r.type] ?? 0) + 1;
  }
  fs.rmSync(options.outputs, { force: true });
  return { endpoint: local.endpoint, stack: local.stack, removed, seconds: (Date.now() - started) / 1000 };
}
