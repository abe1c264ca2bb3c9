// The verdict of a request's erasure, worked out once for the report, the request record (`status`)
// and every rendering: a COMPLETED request whose batch removed nothing anywhere found no data of its
// subjects, which is not the same claim as "erased", and the certificate must not say it is.
import type { ErasureState } from "../../contracts/requests";
import type { ErasureVerdict, ReportSearched, ReportTarget } from "../../contracts/report";

/** A target that held data of the subjects: rows removed, objects rewritten or versions deleted. */
function foundData(t: ReportTarget): boolean {
  return (
    t.outcome === "erased" ||
    t.rowsRemoved > 0 ||
    (t.objectsRewritten ?? 0) > 0 ||
    (t.versionsDeleted ?? 0) > 0
  );
}

export function erasureVerdict(state: ErasureState, targets: readonly ReportTarget[]): ErasureVerdict {
  if (state !== "COMPLETED") return "NOT_COMPLETED";
  return targets.some(foundData) ? "ERASED" : "NOTHING_FOUND";
}

/** Every mapper (lake targets) and store (the others) searched, and the bytes find scanned in all. */
export function searchedOf(targets: readonly ReportTarget[]): ReportSearched {
  return {
    mappers: targets.filter((t) => t.kind === "lake").map((t) => t.name),
    stores: targets.filter((t) => t.kind !== "lake").map((t) => t.name),
    bytesScanned: targets.reduce((n, t) => n + (t.bytesScanned ?? 0), 0),
  };
}

/** "2 data mappers (clicks, events) and 1 store (orders-db)", for a person. */
export function searchedText(s: ReportSearched): string {
  const list = (n: number, one: string, names: string[]) =>
    `${n} ${one}${n === 1 ? "" : "s"}${names.length ? ` (${names.join(", ")})` : ""}`;
  return `${list(s.mappers.length, "data mapper", s.mappers)} and ${list(s.stores.length, "store", s.stores)}`;
}
