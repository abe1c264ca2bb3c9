// The whole stack as `lethe up --local` provisions it (local/stack), once per mocha run, in the
// harness's emulator. Tests that share it use their own keys (request IDs, object keys).
import { provisionLocalStack } from "../../local/stack";
import type { LocalStack } from "../../runtime/contracts/stack";

let shared: Promise<LocalStack> | undefined;

export function sharedLocalStack(): Promise<LocalStack> {
  shared ??= provisionLocalStack().then((r) => r.stack);
  return shared;
}
