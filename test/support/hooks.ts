// Mocha global fixtures: one local AWS emulator per test run, unless AWS_ENDPOINT_URL already names
// a target (LocalStack, or a real account with LETHE_TEST_REAL_AWS=1 and no endpoint).
import { startLocalEmulator, useLocalEmulator, LocalEmulator } from "../../local/emulator";

let emulator: LocalEmulator | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  if (process.env.AWS_ENDPOINT_URL || process.env.LETHE_TEST_REAL_AWS === "1") return;
  emulator = await startLocalEmulator();
  useLocalEmulator(emulator.endpoint);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await emulator?.stop();
}
