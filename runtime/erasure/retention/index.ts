// Retention erasure (docs/retention.md): a data mapper's rows older than its `retention.days`, planned
// (plan.ts), erased through the forget path (run.ts) and reported (report.ts).
export * from "./plan";
export * from "./run";
export * from "./report";
