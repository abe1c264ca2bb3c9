// Errors of the purge engine that no retry can cure: the object's format, encoding or content is one
// the engine refuses, so the message is recorded for a person at once instead of being retried.
import { isFormatRefusal } from "../../formats";
import { ForgetError } from "./errors";

/** The refusals of every lake format (runtime/formats/index.ts): the format, encoding or content. */
export const isEngineRefusal = isFormatRefusal;

/** Rethrows an engine refusal as a non-retryable ForgetError naming the object; other errors as they are. */
export function asEngineRefusal(err: unknown, object: string): unknown {
  if (!isEngineRefusal(err)) return err;
  const reason = (err as Error).message;
  return new ForgetError("engine-refused", `${object}: the purge engine refuses it: ${reason}`, false, {
    cause: err,
  });
}
