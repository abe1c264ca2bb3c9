// The settings a local stack runs with: Pulumi.yaml's defaults (the one place they live) plus any
// overrides, handed to the runtime through the same environment variables the program gives its
// functions. The program validates the same values (test/infra/settings.test.ts).
import { declaredDefaults } from "../runtime/contracts/projectConfig";
import {
  ErasureSettings,
  erasureEnvironment,
  erasureSettingsFromConfig,
  erasureSettingsFromEnv,
} from "../runtime/erasure/settings";
import { falsePositiveRateFromPerMillion } from "../runtime/ingest/settings";

export function localErasureSettings(overrides: Record<string, unknown> = {}): ErasureSettings {
  return erasureSettingsFromEnv(
    erasureEnvironment(erasureSettingsFromConfig({ ...declaredDefaults(), ...overrides })),
  );
}

/** What the demo's pipeline needs of a stack's settings: the erasure settings and the guard's rate. */
export function localPipelineSettings(overrides: Record<string, unknown> = {}): {
  erasure: ErasureSettings;
  filterFalsePositiveRate: number;
} {
  const perMillion = { ...declaredDefaults(), ...overrides }.ingestFilterFalsePositivesPerMillion;
  if (typeof perMillion !== "number") {
    throw new Error(
      `lethe:ingestFilterFalsePositivesPerMillion must be a number, got ${JSON.stringify(perMillion)}`,
    );
  }
  return {
    erasure: localErasureSettings(overrides),
    filterFalsePositiveRate: falsePositiveRateFromPerMillion(perMillion),
  };
}
