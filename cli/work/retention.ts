// The work of `lethe retention plan`: the stack's data mappers that declare a retention rule, each
// planned (runtime/erasure/retention/plan.ts) against its lake. Reads only: nothing is written.
import { UsageError } from "../../runtime/contracts/errors";
import type { DataMapper } from "../../runtime/contracts/mappers";
import { makeS3Client } from "../../runtime/aws/clients";
import { planRetention, RetentionPlan } from "../../runtime/erasure/retention/plan";
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
