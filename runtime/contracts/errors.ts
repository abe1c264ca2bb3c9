// Errors every layer shares.

/** A problem with the caller's input: the CLI prints it as `lethe: <message>` and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.message = message;
    this.name = "UsageError";
  }
}
