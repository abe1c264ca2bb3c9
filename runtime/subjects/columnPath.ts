// An ID column's path, as a data mapper names it: a column, a dotted path into structs (`user.id`),
// and at most one array step marked `[]` — the column itself an array of IDs (`customer_ids[]`) or a
// field of the structs inside one (`contacts[].customer_id`). A row holding an array matches when any
// element matches. Every format, the finders and the ingest guard read paths through this module.

export interface PathStep {
  name: string;
  /** The value at this step is an array whose elements the rest of the path reads. */
  array: boolean;
}

export { idColumnPathPattern } from "../contracts/mappers";

export function pathSteps(path: string): PathStep[] {
  return path.split(".").map((part) => {
    const array = part.endsWith("[]");
    return { name: array ? part.slice(0, -2) : part, array };
  });
}

/** Whether the path reaches into an array (`[]`). */
export function isArrayPath(path: string): boolean {
  return path.includes("[]");
}

/** The top-level column that holds the path's values. */
export function topLevelColumn(path: string): string {
  return pathSteps(path)[0].name;
}

/**
 * The values at `path` in a parsed JSON record: one value (or none) for a plain path, every element's
 * value for a path through an array. Missing and null values are left out.
 */
export function jsonValuesAt(record: unknown, path: string): unknown[] {
  let values: unknown[] = [record];
  for (const step of pathSteps(path)) {
    const next: unknown[] = [];
    for (const v of values) {
      const child =
        v !== null && typeof v === "object" && !Array.isArray(v)
          ? (v as Record<string, unknown>)[step.name]
          : undefined;
      if (child === undefined || child === null) continue;
      if (step.array) {
        if (Array.isArray(child)) next.push(...child.filter((e) => e !== null && e !== undefined));
      } else next.push(child);
    }
    values = next;
  }
  return values;
}
