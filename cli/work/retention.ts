// The work of `lethe retention plan` and `lethe retention run`. The plan: the stack's data mappers that
// declare a retention rule, each planned (runtime/erasure/retention/plan.ts) against its lake, nothing
// written. The run: the packaged retention function (runtime/handlers/retention.ts) invoked with the
// event its EventBridge schedule sends (local/schedules.ts), at the time given, as `lethe invoke` runs
// a function (cli/work/invoke.ts): on a local stack, in this process or its warm stack.
import { UsageError } from "../../runtime/contracts/errors";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { makeS3Client } from "../../runtime/aws/clients";
import { planRetention, RetentionPlan } from "../../runtime/erasure/retention/plan";
import type { RetentionReply } from "../../runtime/handlers/retention";
import type { LocalSchedule } from "../../runtime/contracts/stack";
import { scheduledEvent } from "../../local/schedules";
import type { InvokeResult } from "./invoke";
import type { StackOutputs } from "./stackOutputs";

/** The mappers a retention command works on: `name`'s, else every one that declares retention. */
export function retentionMappers(outputs: StackOutputs, name?: string): DataMapper[] {
  const mappers = Array.isArray(outputs.dataMappers) ? (outputs.dataMappers as DataMapper[]) : [];
  if (name !== undefined) {
    const m = mappers.find((x) => x.name === name);
    if (!m)
      throw new UsageError(
        `no data mapper '${name}' in the stack (it has ${mappers.map((x) => x.name).join(", ") || "none"})`,
      );
    if (!m.retention)
      throw new UsageError(`data mapper '${name}' declares no retention (retention: {days, timeColumn?})`);
    return [m];
  }
  const withRule = mappers.filter((m) => m.retention);
  if (withRule.length === 0)
    throw new UsageError(
      `no data mapper of the stack declares retention (it has ${mappers.map((x) => x.name).join(", ") || "none"})`,
    );
  return withRule;
}

export async function retentionPlans(
  outputs: StackOutputs,
  o: { mapper?: string; now: Date },
): Promise<RetentionPlan[]> {
  const s3 = makeS3Client();
  const plans: RetentionPlan[] = [];
  for (const m of retentionMappers(outputs, o.mapper)) plans.push(await planRetention(s3, m, o.now));
  return plans;
}

/** The event the retention schedule sends, as of `now`; `mapper` narrows the run to one data mapper. */
export function retentionScheduledEvent(
  outputs: StackOutputs,
  o: { mapper?: string; now: Date },
): Record<string, unknown> {
  const declared = (Array.isArray(outputs.schedules) ? (outputs.schedules as LocalSchedule[]) : []).find(
    (s) => /retention/.test(s.rule),
  );
  const schedule = declared ?? { rule: "retention-schedule", expression: "rate(1 day)", functionName: "" };
  const event = scheduledEvent(schedule, String(outputs.region ?? process.env.AWS_REGION ?? "us-east-1"));
  return {
    ...event,
    time: o.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    ...(o.mapper ? { mapper: o.mapper } : {}),
  };
}

export interface RetentionRunResult extends Omit<InvokeResult, "reply"> {
  event: Record<string, unknown>;
  /** The function's reply (each run's report and totals), or Lambda's error when it failed. */
  reply: RetentionReply | { errorType?: string; errorMessage?: string };
}

/** Runs the stack's retention function as its schedule does, for `mapper` or every mapper with a rule. */
export async function runRetentionFunction(
  outputs: StackOutputs,
  o: {
    mapper?: string;
    now: Date;
    stackOutputsFile?: string;
    stack?: string;
    logs?: (chunk: string) => void;
  },
): Promise<RetentionRunResult> {
  retentionMappers(outputs, o.mapper); // a name the stack does not know, or no rule, is refused first
  const event = retentionScheduledEvent(outputs, o);
  const { invokeFunctionWith } = await import("./invoke");
  const result = await invokeFunctionWith("retention", event, {
    stackOutputsFile: o.stackOutputsFile,
    stack: o.stack,
    logs: o.logs,
  });
  return { ...result, event, reply: result.reply as RetentionRunResult["reply"] };
}
