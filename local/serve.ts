// `lethe up --local`'s warm stack: started beside the emulator once the stack is provisioned, its
// endpoints recorded in the outputs file (so later commands find them: local/connect.ts), served
// until the process is told to stop, and struck from the outputs file when it stops.
import type { LocalStack } from "../runtime/contracts/stack";
import { readOutputsFile, writeOutputsFile } from "./stack/outputsFile";
import { startWarmStack, WarmStack, WarmStackOptions } from "./warmStack";

export interface ServedWarmStack {
  warm: WarmStack;
  /** The stack's outputs with the warm stack's endpoints, as written. */
  stack: LocalStack;
  /** Stops serving and removes the endpoints from the outputs file (when it is still there). */
  stop(): Promise<void>;
}

export async function serveWarmStack(
  stack: LocalStack,
  outputsFile: string,
  options: WarmStackOptions = {},
): Promise<ServedWarmStack> {
  const warm = await startWarmStack(stack, options);
  const served: LocalStack = {
    ...stack,
    warm: {
      lambdaEndpoint: warm.lambdaEndpoint,
      stepFunctionsEndpoint: warm.stepFunctionsEndpoint,
      pid: warm.pid,
    },
  };
  writeOutputsFile(outputsFile, served);
  return {
    warm,
    stack: served,
    stop: async () => {
      await warm.close();
      let current: LocalStack | undefined;
      try {
        current = readOutputsFile(outputsFile);
      } catch {
        return; // removed already (`lethe down --local`)
      }
      if (current.warm?.pid !== warm.pid) return;
      delete current.warm;
      writeOutputsFile(outputsFile, current);
    },
  };
}
