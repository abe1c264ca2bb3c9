// Starts a policy pack the way the Pulumi CLI does (node running @pulumi/pulumi/cmd/run-policy-pack in
// the pack's directory, which type-checks and loads index.ts; the PolicyPack prints the port of its
// gRPC server on stdout) and speaks the Analyzer protocol to it.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CollectedResource } from "../../../local/program/mockedRun";

// The generated protobuf and gRPC modules of the @pulumi/pulumi the pack resolves, and the
// google-protobuf/grpc-js copies they were built against (message classes must match).
function protocol(packDir: string) {
  if (!fs.existsSync(path.join(packDir, "PulumiPolicy.yaml"))) {
    throw new PackError(`no policy pack at ${packDir} (no PulumiPolicy.yaml)`);
  }
  let runScript: string;
  try {
    runScript = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  } catch {
    throw new PackError(`the policy pack's dependencies are not installed: run npm install in ${packDir}`);
  }
  const protoDir = path.join(
    path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [packDir] })),
    "proto",
  );
  const from = (m: string) => require(require.resolve(m, { paths: [protoDir] }));
  return {
    runScript,
    pb: require(path.join(protoDir, "analyzer_pb.js")),
    rpc: require(path.join(protoDir, "analyzer_grpc_pb.js")),
    grpc: from("@grpc/grpc-js"),
    struct: from("google-protobuf/google/protobuf/struct_pb.js"),
    empty: from("google-protobuf/google/protobuf/empty_pb.js"),
  };
}

export type Level = "advisory" | "mandatory" | "remediate" | "disabled";
const levels: Level[] = ["advisory", "mandatory", "disabled", "remediate"]; // proto enum order

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: Level;
  configSchema?: { properties: Record<string, Record<string, unknown>>; required: string[] };
}

export interface PackInfo {
  name: string;
  version: string;
  supportsConfig: boolean;
  policies: PolicyInfo[];
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: Level;
  urn: string;
}

export class PackError extends Error {}

/* eslint-disable @typescript-eslint/no-explicit-any */
export class AnalyzerClient {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: any,
    private readonly p: ReturnType<typeof protocol>,
    readonly stderr: () => string,
  ) {}

  /**
   * Spawns the pack; `ready` connects once it prints its port (rejecting with the pack's own output when
   * it does not come up), `abort` stops it early (the program failed meanwhile).
   */
  static start(
    packDir: string,
    env: Record<string, string>,
    timeoutMs = 120_000,
  ): { ready: Promise<AnalyzerClient>; abort(): void } {
    const p = protocol(packDir);
    // Like the CLI's pulumi-analyzer-policy shim: `node run-policy-pack <engine address> .` in the pack dir.
    // There is no engine here; the pack only uses the address to report logs, which it does not.
    const child = spawn(process.execPath, [p.runScript, "127.0.0.1:0", "."], {
      cwd: packDir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    const port = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new PackError(`policy pack did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.stdout!.on("data", (d) => {
        out += d;
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new PackError(`policy pack exited with code ${code} before serving:\n${(out + err).trim()}`));
      });
      child.on("error", (e) => reject(new PackError(`could not start the policy pack: ${e.message}`)));
    });
    const ready = port.then((n) => {
      const client = new p.rpc.AnalyzerClient(`127.0.0.1:${n}`, p.grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": 400 * 1024 * 1024,
        "grpc.max_send_message_length": 400 * 1024 * 1024,
      });
      return new AnalyzerClient(child, client, p, () => err);
    });
    ready.catch(() => child.kill());
    return { ready, abort: () => child.kill() };
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
      this.client[method](req, (e: Error | null, resp: T) =>
        e ? reject(new PackError(`${method} failed: ${e.message}`)) : resolve(resp),
      ),
    );
  }

  async getAnalyzerInfo(): Promise<PackInfo> {
    const r = await this.call<any>("getAnalyzerInfo", new this.p.empty.Empty());
    return {
      name: r.getName(),
      version: r.getVersion(),
      supportsConfig: r.getSupportsconfig(),
      policies: r.getPoliciesList().map((x: any) => ({
        name: x.getName(),
        description: x.getDescription(),
        enforcementLevel: levels[x.getEnforcementlevel()],
        configSchema: x.getConfigschema()
          ? {
              properties: x.getConfigschema().getProperties()?.toJavaScript() ?? {},
              required: x.getConfigschema().getRequiredList(),
            }
          : undefined,
      })),
    };
  }

  async configureStack(
    project: string,
    stack: string,
    config: Record<string, string>,
    dryRun: boolean,
  ): Promise<void> {
    const req = new this.p.pb.AnalyzerStackConfigureRequest();
    req.setProject(project);
    req.setStack(stack);
    req.setOrganization("organization");
    req.setDryRun(dryRun);
    for (const [k, v] of Object.entries(config)) req.getConfigMap().set(k, v);
    await this.call("configureStack", req);
  }

  async configure(
    config: Record<string, { enforcementLevel: Level; properties: Record<string, unknown> }>,
  ): Promise<void> {
    const req = new this.p.pb.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(config)) {
      const pc = new this.p.pb.PolicyConfig();
      pc.setEnforcementlevel(levels.indexOf(c.enforcementLevel));
      pc.setProperties(this.p.struct.Struct.fromJavaScript(c.properties));
      req.getPolicyconfigMap().set(name, pc);
    }
    await this.call("configure", req);
  }

  private options(r: CollectedResource): any {
    const o = new this.p.pb.AnalyzerResourceOptions();
    o.setProtect(r.options.protect);
    o.setIgnorechangesList(r.options.ignoreChanges);
    o.setAliasesList(r.options.aliases);
    o.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
    if (r.options.deleteBeforeReplace !== undefined) {
      o.setDeletebeforereplacedefined(true);
      o.setDeletebeforereplace(r.options.deleteBeforeReplace);
    }
    const t = new this.p.pb.AnalyzerResourceOptions.CustomTimeouts();
    t.setCreate(r.options.customTimeouts.create);
    t.setUpdate(r.options.customTimeouts.update);
    t.setDelete(r.options.customTimeouts.delete);
    o.setCustomtimeouts(t);
    if (r.parent) o.setParent(r.parent);
    return o;
  }

  private provider(p: ProviderRef | undefined): any {
    if (!p) return undefined;
    const msg = new this.p.pb.AnalyzerProviderResource();
    msg.setUrn(p.urn);
    msg.setType(p.type);
    msg.setName(p.name);
    msg.setProperties(this.p.struct.Struct.fromJavaScript(p.properties));
    return msg;
  }

  private diagnostics(resp: any): Diagnostic[] {
    return resp.getDiagnosticsList().map((d: any) => ({
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      policyPackVersion: d.getPolicypackversion(),
      description: d.getDescription(),
      message: d.getMessage(),
      enforcementLevel: levels[d.getEnforcementlevel()],
      urn: d.getUrn(),
    }));
  }

  /** `Analyze`: one resource's inputs, as the CLI sends each resource while it steps through a preview. */
  async analyze(r: CollectedResource, provider?: ProviderRef): Promise<Diagnostic[]> {
    const req = new this.p.pb.AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(r.name);
    req.setProperties(this.p.struct.Struct.fromJavaScript(r.inputs));
    req.setOptions(this.options(r));
    if (provider) req.setProvider(this.provider(provider));
    return this.diagnostics(await this.call("analyze", req)).map((d) => ({ ...d, urn: d.urn || r.urn }));
  }

  /** `AnalyzeStack`: every resource's state with parent and dependencies, once the program has finished. */
  async analyzeStack(
    resources: CollectedResource[],
    providerOf: (r: CollectedResource) => ProviderRef | undefined,
  ): Promise<Diagnostic[]> {
    const req = new this.p.pb.AnalyzeStackRequest();
    req.setResourcesList(
      resources.map((r) => {
        const m = new this.p.pb.AnalyzerResource();
        m.setUrn(r.urn);
        m.setType(r.type);
        m.setName(r.name);
        m.setProperties(this.p.struct.Struct.fromJavaScript(r.outputs));
        m.setOptions(this.options(r));
        const provider = providerOf(r);
        if (provider) m.setProvider(this.provider(provider));
        m.setParent(r.parent);
        m.setDependenciesList(r.dependencies);
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
          if (urns.length === 0) continue;
          const deps = new this.p.pb.AnalyzerPropertyDependencies();
          deps.setUrnsList(urns);
          m.getPropertydependenciesMap().set(k, deps);
        }
        return m;
      }),
    );
    return this.diagnostics(await this.call("analyzeStack", req));
  }

  close(): void {
    this.client.close();
    this.child.kill();
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface ProviderRef {
  urn: string;
  type: string;
  name: string;
  properties: Record<string, unknown>;
}
