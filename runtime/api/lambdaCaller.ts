// Calling a console function deployed: Lambda Invoke (RequestResponse) with its console event. A
// failure comes back as Lambda's `{errorType, errorMessage}`, which the API maps like a thrown error.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { CallOutcome, ConsoleFunction } from "./router";

export function lambdaCaller(
  lambda: LambdaClient,
  functionNames: Record<ConsoleFunction, string>,
): (fn: ConsoleFunction, event: Record<string, unknown>) => Promise<CallOutcome> {
  return async (fn, event) => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: functionNames[fn], Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const text = out.Payload ? Buffer.from(out.Payload).toString("utf8") : "null";
    const reply = JSON.parse(text === "" ? "null" : text) as unknown;
    if (out.FunctionError !== undefined) {
      const e = (reply ?? {}) as { errorType?: string; errorMessage?: string };
      return {
        ok: false,
        failure: { errorType: e.errorType ?? "Error", errorMessage: e.errorMessage ?? "" },
      };
    }
    return { ok: true, reply };
  };
}
