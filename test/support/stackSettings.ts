// The settings a local stack runs with: Pulumi.yaml's defaults (the one place they live) plus any
// overrides, handed to the runtime through the same environment variables the program gives its
// functions. The program validates the same values (test/infra/settings.test.ts).
import { declaredDefaults } from "../../runtime/contracts/projectConfig";
import {
  ErasureSettings,
  erasureEnvironment,
  erasureSettingsFromConfig,
  erasureSettingsFromEnv,
} from "../../runtime/erasure/settings";

export function localErasureSettings(overrides: Record<string, unknown> = {}): ErasureSettings {
  return erasureSettingsFromEnv(
    erasureEnvironment(erasureSettingsFromConfig({ ...declaredDefaults(), ...overrides })),
  );
}
