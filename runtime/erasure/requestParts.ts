// A request larger than one batch is split at intake into parts of at most a batch each (intake.ts);
// each part moves through the workflow on its own. What the request is as a whole is worked out from
// its parts, the same way for `status` (status.ts) and for its report (report/parts.ts).
import { endStates, erasureStates, ErasureState } from "../contracts/requests";
import type { ErasureVerdict, ReportSearched } from "../contracts/report";

/**
 * The state of a request from its parts' states: NEEDS_ATTENTION as soon as one part needs a person;
 * else, while any part is under way, the least advanced of those; once all have ended, COMPLETED only
 * when every part completed, else REJECTED when one was rejected, else CANCELLED.
 */
export function stateOfParts(states: readonly ErasureState[]): ErasureState {
  if (states.length === 0) throw new Error("a split request has no parts");
  if (states.includes("NEEDS_ATTENTION")) return "NEEDS_ATTENTION";
  const open = states.filter((s) => !endStates.includes(s));
  if (open.length > 0)
    return open.reduce((least, s) => (erasureStates.indexOf(s) < erasureStates.indexOf(least) ? s : least));
  if (states.every((s) => s === "COMPLETED")) return "COMPLETED";
  return states.includes("REJECTED") ? "REJECTED" : "CANCELLED";
}

/**
 * The verdict of a request from its parts' verdicts, once every part has one: NOT_COMPLETED when one
 * part is, ERASED when any part erased data, NOTHING_FOUND only when no part found any; undefined
 * while a part has none yet.
 */
export function verdictOfParts(
  verdicts: readonly (ErasureVerdict | undefined)[],
): ErasureVerdict | undefined {
  if (verdicts.length === 0 || verdicts.some((v) => v === undefined)) return undefined;
  if (verdicts.includes("NOT_COMPLETED")) return "NOT_COMPLETED";
  return verdicts.includes("ERASED") ? "ERASED" : "NOTHING_FOUND";
}

/** Where the parts searched, together: every mapper and store once, the bytes scanned added up. */
export function searchedOfParts(searched: readonly ReportSearched[]): ReportSearched {
  const union = (f: (s: ReportSearched) => string[]) => [...new Set(searched.flatMap(f))];
  return {
    mappers: union((s) => s.mappers),
    stores: union((s) => s.stores),
    bytesScanned: searched.reduce((n, s) => n + s.bytesScanned, 0),
  };
}
