// A move the item's state does not allow (or an unknown request or batch) is the caller's mistake:
// the handlers answer it as a UsageError (the CLI: `lethe: <message>`, exit 2), message unchanged,
// of one of two kinds whose names (Lambda's errorType) tell the HTTP API 404 from 409.
import { MoveNotAllowedError, UnknownIdError } from "../contracts/errors";
import { ItemNotFound, StateMoveRefused } from "../erasure/stateMoves";

export async function asUsageError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ItemNotFound) throw new UnknownIdError(err.message);
    if (err instanceof StateMoveRefused) throw new MoveNotAllowedError(err.message);
    throw err;
  }
}
