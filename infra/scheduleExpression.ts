// EventBridge schedule expressions as EventBridge reads them: `rate(value unit)` with a positive whole
// value and a unit singular exactly for 1, or `cron(minutes hours day-of-month month day-of-week year)`
// with `?` in exactly one of the two day fields. test/infra/awsTools.test.ts holds this to an
// EventBridge cron validator's verdicts, so `lethe:*Schedule` is refused here, not at `pulumi up`.

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Characters beyond digits, `,`, `-`, `*`, `/` that the field takes. */
  extra: string;
}

const months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const cronFields: CronField[] = [
  { name: "minutes", min: 0, max: 59, extra: "" },
  { name: "hours", min: 0, max: 23, extra: "" },
  { name: "day-of-month", min: 1, max: 31, extra: "?LW" },
  { name: "month", min: 1, max: 12, names: months, extra: "" },
  { name: "day-of-week", min: 1, max: 7, names: days, extra: "?L#" },
  { name: "year", min: 1970, max: 2199, extra: "" },
];

function fieldProblem(value: string, f: CronField): string | undefined {
  if (value === "*" || value === "?")
    return value === "?" && !f.extra.includes("?") ? `? is not allowed` : undefined;
  for (const part of value.split(",")) {
    const [range, step] = part.split("/");
    if (step !== undefined && !/^\d+$/.test(step)) return `step '${step}' is not a whole number`;
    if (range === "*" || range === "") {
      if (range === "") return `'${part}' is incomplete`;
      continue;
    }
    if (f.name === "day-of-month" && /^(L|LW|\d{1,2}W|L-\d{1,2})$/.test(range)) continue;
    if (f.name === "day-of-week" && /^(\d|[A-Z]{3})(L|#[1-5])$/.test(range)) continue;
    for (const bound of range.split("-")) {
      const n = f.names?.indexOf(bound.toUpperCase()) ?? -1;
      const v = n >= 0 ? n + 1 : /^\d+$/.test(bound) ? Number(bound) : NaN;
      if (!(v >= f.min && v <= f.max)) return `'${bound}' is not between ${f.min} and ${f.max}`;
    }
    if (range.split("-").length > 2) return `'${range}' is not a range`;
  }
  return undefined;
}

/** What is wrong with an EventBridge schedule expression, or undefined when EventBridge takes it. */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    if (value < 1) return "a rate must be at least 1";
    if ((value === 1) !== !rate[2].endsWith("s")) return "the unit is singular for 1 and plural otherwise";
    return undefined;
  }
  const cron = /^cron\(([^()]*)\)$/.exec(expression);
  if (!cron) return 'neither "rate(value unit)" nor "cron(...)"';
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) return `a cron expression has 6 fields, this one ${fields.length}`;
  for (const [i, f] of cronFields.entries()) {
    const problem = fieldProblem(fields[i], f);
    if (problem) return `${f.name}: ${problem}`;
  }
  if ((fields[2] === "?") === (fields[4] === "?"))
    return "exactly one of day-of-month and day-of-week must be ?";
  return undefined;
}
