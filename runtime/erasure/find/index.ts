// Find: which objects of each data mapper hold the batch's subjects. Deployed stacks use Athena; a
// local stack (`local: true`) uses the embedded engine, loaded only there (DuckDB is not in Lambda zips).
export * from "./finder";
export { athenaFinder, athenaFindQuery, type AthenaFinderSettings } from "./athenaFinder";
export { resolveIdColumns, checkKeys, type IdColumn } from "./idColumns";
export { finderForStack, type FinderTarget } from "./forStack";
