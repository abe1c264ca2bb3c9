// Why a purge message did not end in a purged (or already clean) object. Each error says whether
// retrying can help: bad input and objects the engine refuses are recorded at once, never retried;
// a busy lock and a conflicting writer go back to the queue. Messages name objects, never IDs.

/** What the ledger and the errors table record as the reason. */
export type ForgetFailureKind =
  | "not-json"
  | "bad-message"
  | "unknown-mapper"
  | "outside-location"
  | "manifest-missing"
  | "manifest-corrupt"
  | "engine-refused"
  | "lock-busy"
  | "lease-lost"
  | "fenced-out"
  | "conflict"
  | "cancelled"
  /** The queue gave up on the message after its maximum deliveries (filed by the errors function). */
  | "retries-exhausted";

export class ForgetError extends Error {
  constructor(
    readonly kind: ForgetFailureKind,
    message: string,
    /** True when the same message may succeed later (lock, conflict); false: record it now. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ForgetError";
  }
}

/** The message cannot be acted on as it stands (nothing was read from the lake, nothing written). */
export function invalidMessage(kind: ForgetFailureKind, message: string): ForgetError {
  return new ForgetError(kind, message, false);
}

/** The object's mutex is held by another purge: try again later (not a failure of the object). */
export function lockBusy(object: string, cause?: unknown): ForgetError {
  return new ForgetError("lock-busy", `${object}: another purge holds the object's lock`, true, { cause });
}

export function isForgetError(err: unknown): err is ForgetError {
  return err instanceof ForgetError;
}
