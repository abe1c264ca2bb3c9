// The program's EventBridge schedules, fired by a warm local stack: each declared rule invokes its
// function with the event EventBridge sends. `off` fires nothing (the default of a command's own
// stack); `fast` fires every rule every few seconds (a demo, a test); `as-declared` fires each
// `rate(...)` rule at its rate. A `cron(...)` rule is fired only in `fast` mode (said at start).
import { randomUUID } from "node:crypto";
import type { LocalSchedule } from "../runtime/contracts/stack";

export const scheduleModes = ["off", "fast", "as-declared"] as const;
export type ScheduleMode = (typeof scheduleModes)[number];

const unitSeconds: Record<string, number> = { minute: 60, hour: 3600, day: 86_400 };

/** `rate(5 minutes)` -> 300; undefined for a cron expression. */
export function rateSeconds(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression.trim());
  return m ? Number(m[1]) * unitSeconds[m[2]] : undefined;
}

export interface ScheduleRunner {
  /** The rules fired, with their period in seconds. */
  driven: { rule: string; functionName: string; everySeconds: number }[];
  /** The rules this mode does not fire, and why. */
  notDriven: { rule: string; why: string }[];
  stop(): void;
}

/** The event EventBridge sends a scheduled rule's target. */
export function scheduledEvent(schedule: LocalSchedule, region: string): Record<string, unknown> {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "000000000000",
    time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/${schedule.rule}`],
    detail: {},
  };
}

export function startSchedules(
  schedules: LocalSchedule[],
  mode: ScheduleMode,
  invoke: (functionName: string, event: unknown) => Promise<unknown>,
  options: { region: string; fastSeconds?: number; onError?: (rule: string, err: unknown) => void },
): ScheduleRunner {
  const runner: ScheduleRunner = { driven: [], notDriven: [], stop: () => undefined };
  if (mode === "off") {
    runner.notDriven = schedules.map((s) => ({ rule: s.rule, why: "schedules off" }));
    return runner;
  }
  const timers: NodeJS.Timeout[] = [];
  for (const schedule of schedules) {
    const everySeconds = mode === "fast" ? (options.fastSeconds ?? 10) : rateSeconds(schedule.expression);
    if (everySeconds === undefined) {
      runner.notDriven.push({
        rule: schedule.rule,
        why: `${schedule.expression} is fired in fast mode only`,
      });
      continue;
    }
    // One invocation at a time per rule: a slow run is not overlapped by the next tick.
    let busy = false;
    const fire = () => {
      if (busy) return;
      busy = true;
      invoke(schedule.functionName, scheduledEvent(schedule, options.region))
        .catch((err) => options.onError?.(schedule.rule, err))
        .finally(() => (busy = false));
    };
    const timer = setInterval(fire, everySeconds * 1000);
    timer.unref();
    timers.push(timer);
    runner.driven.push({ rule: schedule.rule, functionName: schedule.functionName, everySeconds });
  }
  runner.stop = () => timers.forEach(clearInterval);
  return runner;
}
