// `lethe policy check`: the offline policy gate. Runs the program under mocks, then drives the policy
// pack over the Analyzer protocol in the order the Pulumi CLI does (GetAnalyzerInfo, ConfigureStack,
// Configure, Analyze per resource, AnalyzeStack once) and reports like `pulumi preview --policy-pack`.
import * as path from "node:path";
import { AnalyzerClient, Diagnostic, PackInfo, ProviderRef } from "./analyzerClient";
import {
  CollectedResource,
  prepareProgram,
  ProgramRun,
  runUnderMocks,
} from "../../../local/program/mockedRun";
import { effectiveConfig, EffectiveConfig, readPackConfigFile } from "./packConfig";

export interface GateOptions {
  program?: string;
  packDir: string;
  configFile?: string;
  stack?: string;
}

export interface GateResult {
  run: ProgramRun;
  info: PackInfo;
  config: EffectiveConfig;
  diagnostics: Diagnostic[];
  seconds: number;
}

/** Engine default providers: one per package, named like the CLI names them. */
function defaultProviders(run: ProgramRun): (r: CollectedResource) => ProviderRef | undefined {
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  const defaults = new Map<string, ProviderRef>();
  return (r) => {
    if (!r.custom || r.type.startsWith("pulumi:providers:")) return undefined;
    if (r.provider) {
      const urn = r.provider.split("::").slice(0, -1).join("::");
      const p = byUrn.get(urn);
      if (p) return { urn, type: p.type, name: p.name, properties: p.inputs };
    }
    const pkg = r.type.split(":")[0];
    if (!defaults.has(pkg)) {
      let version = "0.0.0";
      try {
        version = require(
          require.resolve(`@pulumi/${pkg}/package.json`, { paths: [path.dirname(run.programPath)] }),
        ).version;
      } catch {
        // a package we cannot see: keep the placeholder version
      }
      const name = `default_${version.replace(/[.-]/g, "_")}`;
      const properties: Record<string, unknown> = { version };
      for (const [k, v] of Object.entries(run.config))
        if (k.startsWith(`${pkg}:`)) properties[k.slice(pkg.length + 1)] = v;
      defaults.set(pkg, {
        urn: `urn:pulumi:${run.stack}::${run.project}::pulumi:providers:${pkg}::${name}`,
        type: `pulumi:providers:${pkg}`,
        name,
        properties,
      });
    }
    return defaults.get(pkg);
  };
}

export async function runGate(opts: GateOptions): Promise<GateResult> {
  const started = Date.now();
  const prepared = prepareProgram(opts.program, opts.stack);
  const packConfig = opts.configFile === undefined ? undefined : readPackConfigFile(opts.configFile);
  // The pack type-checks and loads for seconds: start it while the program runs.
  const starting = AnalyzerClient.start(opts.packDir, {
    PULUMI_CONFIG: JSON.stringify(prepared.config),
    PULUMI_NODEJS_PROJECT: prepared.project,
    PULUMI_NODEJS_STACK: prepared.stack,
    PULUMI_NODEJS_DRY_RUN: "true",
    PULUMI_NODEJS_ORGANIZATION: "organization",
  });
  let run: ProgramRun;
  try {
    run = await runUnderMocks(prepared);
  } catch (err) {
    starting.abort();
    await starting.ready.catch(() => undefined);
    throw err;
  }
  const client = await starting.ready;
  try {
    const info = await client.getAnalyzerInfo();
    const config = effectiveConfig(info, packConfig);
    await client.configureStack(run.project, run.stack, run.config, true);
    await client.configure(config);
    const providerOf = defaultProviders(run);
    const diagnostics: Diagnostic[] = [];
    for (const r of run.resources) diagnostics.push(...(await client.analyze(r, providerOf(r))));
    diagnostics.push(...(await client.analyzeStack(run.resources, providerOf)));
    return { run, info, config, diagnostics, seconds: (Date.now() - started) / 1000 };
  } finally {
    client.close();
  }
}

/** A path relative to the working directory when it is below it, else absolute. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

/** Violations grouped by resource, as `pulumi preview --policy-pack` prints them, then the rules and a summary. */
export function formatReport(result: GateResult, packDir: string): string {
  const { info, diagnostics, run, config } = result;
  const lines: string[] = [];
  const names = new Map(run.resources.map((r) => [r.urn, `${r.type}: ${r.name}`]));
  const mandatory = diagnostics.filter((d) => d.enforcementLevel === "mandatory");
  lines.push("Policies:");
  lines.push(
    `    ${mandatory.length ? "❌" : "✅"} ${info.name}@v${info.version} (local: ${shown(packDir)})`,
  );
  const byResource = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) byResource.set(d.urn, [...(byResource.get(d.urn) ?? []), d]);
  for (const [urn, ds] of byResource) {
    lines.push(`        ${names.get(urn) ?? urn}`);
    lines.push(`          ${urn}`);
    for (const d of ds) {
      lines.push(`            - [${d.enforcementLevel}]  ${d.policyName}`);
      // The pack prefixes each message with the rule's description; print them apart.
      const message = d.message.startsWith(`${d.description}\n`)
        ? d.message.slice(d.description.length + 1)
        : d.message;
      lines.push(`              ${d.description}`);
      for (const line of message.split("\n")) lines.push(`              ${line}`);
    }
  }
  const ran = info.policies.filter((p) => config[p.name]?.enforcementLevel !== "disabled");
  lines.push("");
  lines.push(`Rules run (${ran.length} of ${info.policies.length}):`);
  for (const p of info.policies) lines.push(`    ${config[p.name]?.enforcementLevel.padEnd(9)}  ${p.name}`);
  const advisory = diagnostics.length - mandatory.length;
  lines.push("");
  lines.push(
    `Summary: ${mandatory.length} mandatory and ${advisory} advisory violation(s) on ${byResource.size} of ` +
      `${run.resources.length} resources (program ${shown(run.programPath)}, stack ${run.stack}), ` +
      `${ran.length} rules, ${result.seconds.toFixed(1)} s: ${mandatory.length ? "FAILED" : "passed"}`,
  );
  return lines.join("\n");
}
