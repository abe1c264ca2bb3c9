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
