// A move the item's state does not allow (or an unknown request or batch) is the caller's mistake:
// the handlers answer it as a UsageError (the CLI: `lethe: <message>`, exit 2), message unchanged.
import { UsageError } from "../contracts/errors";
import { StateMoveRefused } from "../erasure/stateMoves";

export async function asUsageError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof StateMoveRefused) throw new UsageError(err.message);
    throw err;
  }
}
