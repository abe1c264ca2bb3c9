// The stack settings every function that writes the requests, errors or audit tables obeys: the legal
// deadline and how long each record (and a failed request's raw IDs) is kept. The Pulumi program sets
// them as environment variables from its config (defaults declared once, in Pulumi.yaml); the demo
// goes through the same variables.
import { Env, envNames, numberEnv } from "../contracts/env";
import type { ErasureSettings } from "../contracts/stack";

export type { ErasureSettings };

const variables: Record<keyof ErasureSettings, string> = {
  deadlineDays: envNames.erasureDeadlineDays,
  requestRetentionDays: envNames.requestRetentionDays,
  errorRetentionDays: envNames.errorRetentionDays,
  auditRetentionDays: envNames.auditRetentionDays,
  failedRequestIdGraceDays: envNames.failedRequestIdGraceDays,
};

/** The stack setting (a `lethe:` key of Pulumi.yaml) each erasure setting comes from. */
export const erasureSettingSources: Record<keyof ErasureSettings, string> = {
  deadlineDays: "erasureDeadlineDays",
  requestRetentionDays: "requestRetentionDays",
  errorRetentionDays: "errorRetentionDays",
  auditRetentionDays: "auditRetentionDays",
  failedRequestIdGraceDays: "failedRequestIdGraceDays",
};

/** The erasure settings out of a stack's settings (the program's validated config, or Pulumi.yaml's defaults). */
export function erasureSettingsFromConfig(config: object): ErasureSettings {
  const c = config as Record<string, unknown>;
  const out = {} as ErasureSettings;
  for (const k of Object.keys(erasureSettingSources) as (keyof ErasureSettings)[]) {
    const v = c[erasureSettingSources[k]];
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new Error(
        `lethe:${erasureSettingSources[k]} must be a whole number of days, got ${JSON.stringify(v)}`,
      );
    }
    out[k] = v;
  }
  return out;
}

/** The settings from a function's environment; a missing or bad variable throws naming it. */
export function erasureSettingsFromEnv(env: Env): ErasureSettings {
  const days = (k: keyof ErasureSettings, min: number) => {
    const n = numberEnv(env, variables[k], min, 36_500);
    if (!Number.isInteger(n))
      throw new Error(`environment variable ${variables[k]} must be whole days, got ${n}`);
    return n;
  };
  return {
    deadlineDays: days("deadlineDays", 1),
    requestRetentionDays: days("requestRetentionDays", 1),
    errorRetentionDays: days("errorRetentionDays", 1),
    auditRetentionDays: days("auditRetentionDays", 1),
    failedRequestIdGraceDays: days("failedRequestIdGraceDays", 0),
  };
}

/** The environment variables that carry the settings (what the program gives each such function). */
export function erasureEnvironment(s: ErasureSettings): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(variables) as (keyof ErasureSettings)[]).map((k) => [variables[k], String(s[k])]),
  );
}
