// Errors of the purge engine that no retry can cure: the object's format, encoding or content is one
// the engine refuses, so the message is recorded for a person at once instead of being retried.
import { CorruptObjectError } from "../../purge/corruptObject";
import { JsonLinesError } from "../../purge/jsonLines";
import { MatchSpecError } from "../../purge/matcher";
import { ParquetFormatError } from "../../purge/parquetFormat";
import { UnsupportedFormatError } from "../../purge/purgeBytes";
import { UnfaithfulRewriteError } from "../../purge/rowGroupRewrite";
import { ForgetError } from "./errors";

export function isEngineRefusal(err: unknown): boolean {
  return (
    err instanceof UnsupportedFormatError ||
    err instanceof ParquetFormatError ||
    err instanceof UnfaithfulRewriteError ||
    err instanceof JsonLinesError ||
    // A corrupt object stays corrupt: a person decides (restore, drop the object, accept the loss).
    err instanceof CorruptObjectError ||
    err instanceof MatchSpecError
  );
}

/** Rethrows an engine refusal as a non-retryable ForgetError naming the object; other errors as they are. */
export function asEngineRefusal(err: unknown, object: string): unknown {
  if (!isEngineRefusal(err)) return err;
  const reason = (err as Error).message;
  return new ForgetError("engine-refused", `${object}: the purge engine refuses it: ${reason}`, false, {
    cause: err,
  });
}
