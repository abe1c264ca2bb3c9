// The settings a local stack runs with: the program's defaults (declared once, in Pulumi.yaml) plus
// any overrides, validated as `pulumi up` would, and handed to the runtime through the same
// environment variables the program gives its functions.
import { configDefaults, filterFalsePositiveRate, LetheConfig, validateConfig } from "../infra/config";
import { erasureEnvironmentOf } from "../infra/erasure/erasureSettings";
import { ErasureSettings, erasureSettingsFromEnv } from "../runtime/erasure/settings";

export function localStackConfig(overrides: Partial<LetheConfig> = {}): LetheConfig {
  return validateConfig({ ...configDefaults, ...overrides });
}

export function localErasureSettings(overrides: Partial<LetheConfig> = {}): ErasureSettings {
  return erasureSettingsFromEnv(erasureEnvironmentOf(localStackConfig(overrides)));
}

/** What the demo's pipeline needs of a stack's settings: the erasure settings and the guard's rate. */
export function localPipelineSettings(overrides: Partial<LetheConfig> = {}): {
  erasure: ErasureSettings;
  filterFalsePositiveRate: number;
} {
  return {
    erasure: localErasureSettings(overrides),
    filterFalsePositiveRate: filterFalsePositiveRate(localStackConfig(overrides)),
  };
}
