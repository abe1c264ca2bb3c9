// Which stack an operator command works with, from one place: `--stack-outputs <file>` (what
// `pulumi stack output --json` prints, or `lethe up --local`'s file), `--stack <name>` (the outputs
// `pulumi stack output --json --stack <name>` prints, when the Pulumi CLI is on PATH), or by default
// the local stack's file `.lethe/local.json`. Credentials and region come from the usual AWS
// environment; a local stack's file names its emulator.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../../runtime/contracts/errors";
import { projectRoot } from "../../runtime/contracts/projectConfig";

export const defaultStackOutputsFile = ".lethe/local.json";

/** What `pulumi stack output --json` prints, or `lethe up --local`'s file (same keys and more). */
export interface StackOutputs {
  local?: boolean;
  /** The emulator a local stack lives in. */
  endpoint?: string;
  /** Mocked identifier (ARN, URL, key id, name) -> its value in the local stack, where they differ. */
  localResources?: Record<string, string>;
  stack?: string;
  region?: string;
  [output: string]: unknown;
}

export interface StackChoice {
  /** `--stack-outputs <file>` */
  stackOutputs?: string;
  /** `--stack <name>` */
  stack?: string;
}

export interface ResolvedStack {
  outputs: StackOutputs;
  /** Where the outputs came from, for messages: the file, or the pulumi command. */
  source: string;
}

export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} '${file}': ${code === "ENOENT" ? "no such file" : code}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} '${file}' is not JSON: ${(err as Error).message}`);
  }
}

function asOutputs(value: unknown, source: string): StackOutputs {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`stack outputs ${source} is not a JSON object of stack outputs`);
  }
  return value as StackOutputs;
}

export function readStackOutputs(file: string): StackOutputs {
  return asOutputs(readJsonFile(file, "stack outputs file"), `file '${file}'`);
}

/** The first executable `name` on PATH, or undefined. */
export function onPath(name: string, pathEnv = process.env.PATH ?? ""): string | undefined {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `pulumi stack output --json --stack <name>`, run in the project's directory. */
export function pulumiStackOutputs(stack: string, cwd = projectRoot()): ResolvedStack {
  const command = `pulumi stack output --json --stack ${stack}`;
  const pulumi = onPath("pulumi");
  if (!pulumi) {
    throw new UsageError(
      `--stack ${stack} reads the stack's outputs with \`${command}\`, but the Pulumi CLI is not on PATH: ` +
        `install it (https://www.pulumi.com/docs/install/), or pass --stack-outputs <file> with that command's output`,
    );
  }
  const run = spawnSync(pulumi, ["stack", "output", "--json", "--stack", stack], {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error || run.status !== 0) {
    const why = (run.error?.message ?? run.stderr ?? "").trim().split("\n").slice(-1)[0];
    throw new UsageError(`\`${command}\` failed (exit ${run.status ?? "none"}): ${why || "no message"}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(run.stdout);
  } catch (err) {
    throw new UsageError(`\`${command}\` printed no JSON: ${(err as Error).message}`);
  }
  return { outputs: asOutputs(value, `from \`${command}\``), source: `\`${command}\`` };
}

/** The stack an operator command works with: the file, else the named stack, else the local file. */
export function resolveStackOutputs(choice: StackChoice): ResolvedStack {
  if (choice.stackOutputs !== undefined) {
    return { outputs: readStackOutputs(choice.stackOutputs), source: `'${choice.stackOutputs}'` };
  }
  if (choice.stack !== undefined) return pulumiStackOutputs(choice.stack);
  if (!fs.existsSync(defaultStackOutputsFile)) {
    throw new UsageError(
      `no stack outputs: --stack-outputs <file> is required (pulumi stack output --json > outputs.json), ` +
        `or --stack <name>; ${defaultStackOutputsFile} (from \`lethe up --local\`) does not exist here`,
    );
  }
  return { outputs: readStackOutputs(defaultStackOutputsFile), source: `'${defaultStackOutputsFile}'` };
}

/** A string output the command needs, or a usage error naming it and where it was looked for. */
export function requiredOutput(resolved: ResolvedStack, key: string): string {
  const value = resolved.outputs[key];
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`${resolved.source} has no ${key} output: not the outputs of this program's stack`);
  }
  return value;
}

/**
 * Points this process's AWS clients at the stack: a local stack's emulator (and its region, and an
 * emulator's placeholder credentials unless some are set); a deployed stack uses the AWS environment.
 */
export function useStackEnvironment(outputs: StackOutputs): void {
  if (!outputs.local) return;
  if (typeof outputs.endpoint !== "string" || outputs.endpoint === "") {
    throw new UsageError("the local stack outputs have no endpoint: run `lethe up --local` again");
  }
  process.env.AWS_ENDPOINT_URL = outputs.endpoint;
  if (typeof outputs.region === "string") process.env.AWS_REGION = outputs.region;
  if (!process.env.AWS_ACCESS_KEY_ID) {
    process.env.AWS_ACCESS_KEY_ID = "testing";
    process.env.AWS_SECRET_ACCESS_KEY = "testing";
  }
}
