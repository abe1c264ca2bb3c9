// Errors every layer shares.

/** A problem with the caller's input: the CLI prints it as `lethe: <message>` and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.message = message;
    this.name = "UsageError";
  }
}

/** Bad input naming a request or batch that does not exist (HTTP 404). */
export class UnknownIdError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "UnknownIdError";
  }
}

/** A request or batch whose state does not allow what was asked (HTTP 409). */
export class MoveNotAllowedError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "MoveNotAllowedError";
  }
}

/**
 * A refusal by its name, as the same error from another copy of the runtime (a packaged function's
 * own, or a Lambda reply's errorType) carries it: the matching class of this copy, else undefined.
 */
export function refusalNamed(name: string | undefined, message: string): UsageError | undefined {
  switch (name) {
    case "UnknownIdError":
      return new UnknownIdError(message);
    case "MoveNotAllowedError":
      return new MoveNotAllowedError(message);
    case "UsageError":
    case "InvalidErasureRequest":
      return new UsageError(message);
    default:
      return undefined;
  }
}
