// The leaf column an ID column's path names (runtime/subjects/columnPath.ts). A plain path is the leaf's
// dotted path; a path through a list skips the list's wrapper levels, which Parquet writers name
// differently: `contacts.list.element.customer_id` (3-level LIST, pyarrow, Spark, Hive) or
// `contacts.array.customer_id` / `contacts.bag.customer_id` (2-level, older writers).
import { pathSteps } from "../../subjects/columnPath";
import type { LeafColumn } from "./parquetFormat";

export function leafOfColumn(leaves: readonly LeafColumn[], column: string): LeafColumn | undefined {
  const steps = pathSteps(column);
  const arrays = steps.filter((s) => s.array).length;
  return leaves.find((leaf) => leaf.maxRepetitionLevel === arrays && follows(leaf.pathParts, 0, steps, 0));
}

function follows(
  parts: readonly string[],
  p: number,
  steps: ReturnType<typeof pathSteps>,
  s: number,
): boolean {
  if (s === steps.length) return p === parts.length;
  if (parts[p] !== steps[s].name) return false;
  if (!steps[s].array) return follows(parts, p + 1, steps, s + 1);
  // The list's repeated group, and (3-level) its element; a list of scalars ends there.
  return follows(parts, p + 2, steps, s + 1) || follows(parts, p + 3, steps, s + 1);
}

/** Indices of the top-level fields that hold the given ID columns. */
export function topLevelFieldsOfColumns(
  leaves: readonly LeafColumn[],
  columns: readonly string[],
): Set<number> {
  const out = new Set<number>();
  for (const c of columns) {
    const leaf = leafOfColumn(leaves, c);
    if (leaf) out.add(leaf.topLevelIndex);
  }
  return out;
}
