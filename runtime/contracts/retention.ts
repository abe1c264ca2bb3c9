// A data mapper's retention rule (seed 002, "delete data older than a specific date"): rows older than
// `days` are erased on the retention schedule, by the rows' own time column, or by a date partition
// (`dt=YYYY-MM-DD`) when a partition is entirely older. The program validates it (infra/config.ts);
// runtime/erasure/retention/ plans and runs it. A separate field of the mapper, so other mapper fields
// evolve without touching it.
export interface RetentionRule {
  /** Rows whose time is more than this many days before the run are erased (1 to 36500). */
  days: number;
  /**
   * The column holding each row's time: a timestamp or date column, or ISO-8601 text (UTC when it names
   * no zone). Without it only whole partitions go (by `partitionColumn`).
   */
  timeColumn?: string;
  /** The partition column whose values are days (`YYYY-MM-DD`); default `dt` when a partition column. */
  partitionColumn?: string;
}

export const dayMs = 86_400_000;

/** The instant before which a row expires: `days` whole days before `now`. */
export function retentionCutoff(rule: Pick<RetentionRule, "days">, now: Date): Date {
  return new Date(now.getTime() - rule.days * dayMs);
}

/** The date partition column a rule prunes on, if any. */
export function retentionPartitionColumn(
  rule: RetentionRule,
  partitionColumns: readonly string[],
): string | undefined {
  if (rule.partitionColumn) return rule.partitionColumn;
  return partitionColumns.includes("dt") ? "dt" : undefined;
}

/** What is wrong with a rule, or undefined (messages name the field). */
export function retentionRuleProblem(rule: unknown, partitionColumns: readonly string[]): string | undefined {
  if (typeof rule !== "object" || rule === null || Array.isArray(rule))
    return "must be an object {days, timeColumn?, partitionColumn?}";
  const r = rule as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!["days", "timeColumn", "partitionColumn"].includes(k))
      return `has an unknown field ${JSON.stringify(k)}`;
  if (typeof r.days !== "number" || !Number.isInteger(r.days) || r.days < 1 || r.days > 36_500)
    return `days must be a whole number of days from 1 to 36500, got ${JSON.stringify(r.days)}`;
  if (
    r.timeColumn !== undefined &&
    (typeof r.timeColumn !== "string" || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(r.timeColumn))
  )
    return `timeColumn must be a column name, got ${JSON.stringify(r.timeColumn)}`;
  if (r.partitionColumn !== undefined && !partitionColumns.includes(r.partitionColumn as string))
    return `partitionColumn must be one of partitionColumns (${partitionColumns.join(", ") || "none"}), got ${JSON.stringify(r.partitionColumn)}`;
  if (
    r.timeColumn === undefined &&
    !retentionPartitionColumn(r as unknown as RetentionRule, partitionColumns)
  )
    return "needs a timeColumn, or a date partition column (partitionColumn, or a partition column named dt)";
  return undefined;
}

/** The UTC day a partition value names (`2026-11-30`), or undefined when it is not a day. */
export function partitionDay(value: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value ? d : undefined;
}
