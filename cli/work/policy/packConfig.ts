// Policy pack configuration as `pulumi preview --policy-pack-config <file>` takes it:
// { "all": "<level>", "<policy>": "<level>" | { "enforcementLevel"?: "<level>", ...properties } }.
// Like the CLI, it is checked against each policy's config schema and completed with the schema's defaults.
import * as fs from "node:fs";
import { UsageError } from "../../../runtime/contracts/errors";
import type { Level, PackInfo } from "./analyzerClient";

const validLevels: Level[] = ["advisory", "mandatory", "remediate", "disabled"];

export type EffectiveConfig = Record<
  string,
  { enforcementLevel: Level; properties: Record<string, unknown> }
>;

function checkValue(where: string, value: unknown, schema: Record<string, unknown>): void {
  const type = schema.type as string | undefined;
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  const ok =
    !type ||
    type === actual ||
    (type === "integer" && typeof value === "number" && Number.isInteger(value)) ||
    (type === "number" && typeof value === "number");
  if (!ok) throw new UsageError(`${where}: expected ${type}, got ${JSON.stringify(value)}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum)
      throw new UsageError(`${where}: must be at least ${schema.minimum}, got ${value}`);
    if (typeof schema.maximum === "number" && value > schema.maximum)
      throw new UsageError(`${where}: must be at most ${schema.maximum}, got ${value}`);
  }
  if (typeof value === "string" && typeof schema.minLength === "number" && value.length < schema.minLength)
    throw new UsageError(`${where}: must not be empty`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    throw new UsageError(`${where}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  if (Array.isArray(value) && schema.items && typeof schema.items === "object")
    value.forEach((v, i) => checkValue(`${where}[${i}]`, v, schema.items as Record<string, unknown>));
}

/**
 * Reads a policy pack config file: readable, JSON, an object keyed by policy name. Checked before the
 * program runs, so a broken file fails in milliseconds, not after the run.
 */
export function readPackConfigFile(file: string): Record<string, unknown> {
  let raw: string;
  try {
    raw = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read policy pack config ${file}: ${(err as Error).message}`);
  }
  let given: unknown;
  try {
    given = JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`policy pack config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!given || typeof given !== "object" || Array.isArray(given))
    throw new UsageError(`policy pack config ${file} must be a JSON object keyed by policy name`);
  return given as Record<string, unknown>;
}

/** Validates a config file (a path, or its content as read by readPackConfigFile) against the pack. */
export function effectiveConfig(info: PackInfo, file?: string | Record<string, unknown>): EffectiveConfig {
  const given: Record<string, unknown> =
    file === undefined ? {} : typeof file === "string" ? readPackConfigFile(file) : file;
  const known = new Set(info.policies.map((p) => p.name));
  for (const key of Object.keys(given)) {
    if (key !== "all" && !known.has(key))
      throw new UsageError(
        `policy pack config: no policy named "${key}" in ${info.name} (have: ${[...known].join(", ")})`,
      );
  }
  const level = (where: string, v: unknown): Level => {
    if (!validLevels.includes(v as Level))
      throw new UsageError(`${where}: enforcement level must be one of ${validLevels.join(", ")}`);
    return v as Level;
  };
  const all = given.all === undefined ? undefined : level("policy pack config: all", given.all);

  const result: EffectiveConfig = {};
  for (const policy of info.policies) {
    const schema = policy.configSchema?.properties ?? {};
    const entry = given[policy.name];
    let enforcementLevel = all ?? policy.enforcementLevel;
    const properties: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(schema)) if (s.default !== undefined) properties[k] = s.default;
    if (typeof entry === "string") {
      enforcementLevel = level(`policy pack config: ${policy.name}`, entry);
    } else if (entry && typeof entry === "object") {
      for (const [k, v] of Object.entries(entry)) {
        if (k === "enforcementLevel") {
          enforcementLevel = level(`policy pack config: ${policy.name}.enforcementLevel`, v);
          continue;
        }
        if (!(k in schema))
          throw new UsageError(
            `policy pack config: ${policy.name} has no setting "${k}" (has: ${Object.keys(schema).join(", ") || "none"})`,
          );
        checkValue(`policy pack config: ${policy.name}.${k}`, v, schema[k]);
        properties[k] = v;
      }
    } else if (entry !== undefined) {
      throw new UsageError(`policy pack config: ${policy.name} must be an enforcement level or an object`);
    }
    for (const r of policy.configSchema?.required ?? [])
      if (properties[r] === undefined)
        throw new UsageError(`policy pack config: ${policy.name}.${r} is required`);
    result[policy.name] = { enforcementLevel, properties };
  }
  return result;
}
