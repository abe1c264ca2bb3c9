// Forget: purge one lake object per message, under its lock, with no version left behind.
export * from "./errors";
export * from "./fencing";
export * from "./message";
export * from "./purgeLakeObject";
export * from "./ledger";
export * from "./errorRecords";
export * from "./indexEntries";
export * from "./forgetObject";
export * from "./settings";
export * from "./requeue";
export * from "./consoleReport";
