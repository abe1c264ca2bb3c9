// What every function of a local batch runs with: the program's environment for it (localized, as
// `lethe invoke` gives it), completed from the stack's outputs (the same variables the program sets
// from the same resources), with the embedded find engine instead of Athena.
import * as os from "node:os";
import * as path from "node:path";
import { envNames } from "../../runtime/contracts/env";
import type { LocalStack } from "../../runtime/contracts/stack";
import { erasureEnvironment } from "../../runtime/erasure/settings";
import { localFunctionEnvironment, StackOutputs } from "../invoke";
import type { PackagedFunction } from "../packaging";

/** The stack's resources under the environment names the workflow's functions read. */
export function stackEnvironment(stack: LocalStack): Record<string, string> {
  const out: Record<string, string | undefined> = {
    [envNames.dataMappers]: JSON.stringify(stack.dataMappers),
    [envNames.kmsKeyArn]: stack.kmsKeyArn,
    [envNames.subjectHashKeyArn]: stack.subjectHashKeyArn,
    [envNames.lakeBucket]: stack.lakeBucket,
    [envNames.filterBucket]: stack.lakeBucket,
    [envNames.athenaWorkgroup]: stack.athenaWorkgroup,
    [envNames.glueDatabase]: stack.glueDatabase,
    [envNames.requestsTable]: stack.requestsTable,
    [envNames.indexTable]: stack.indexTable,
    [envNames.optOutTable]: stack.optOutTable,
    [envNames.locksTable]: stack.locksTable,
    [envNames.errorsTable]: stack.errorsTable,
    [envNames.ledgerTable]: stack.ledgerTable,
    [envNames.auditTable]: stack.auditTable,
    [envNames.auditBucket]: stack.auditBucket,
    [envNames.idempotencyTable]: stack.idempotencyTable,
    [envNames.purgeQueueUrl]: stack.purgeQueueUrl,
    [envNames.purgeDeadLetterQueueUrl]: stack.purgeDeadLetterQueueUrl,
    [envNames.alertTopicArn]: stack.alertTopicArn,
    [envNames.reportBucket]: (stack as unknown as Record<string, string | undefined>).reportBucket,
    ...(stack.erasureSettings ? erasureEnvironment(stack.erasureSettings) : {}),
  };
  return Object.fromEntries(
    Object.entries(out).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

export interface FunctionEnvironmentOptions {
  /** Where the embedded find engine keeps its object copies (default: a folder in the temp dir). */
  findCacheDir?: string;
  /** Set last, over everything (tests: another endpoint). */
  env?: Record<string, string>;
}

/** Where the embedded find engine's copies go when no folder is given: the system temp dir. */
export function defaultFindCacheDir(): string {
  return path.join(os.tmpdir(), "lethe-find-cache");
}

export function batchFunctionEnvironment(
  fn: PackagedFunction,
  stack: LocalStack,
  options: FunctionEnvironmentOptions = {},
): Record<string, string> {
  return {
    ...stackEnvironment(stack),
    ...localFunctionEnvironment(fn, stack as unknown as StackOutputs),
    [envNames.findEngine]: "embedded",
    [envNames.findCacheDir]: options.findCacheDir ?? defaultFindCacheDir(),
    // The functions' own logs would drown the caller's output; warnings and errors still show.
    POWERTOOLS_LOG_LEVEL: "WARN",
    // No CloudWatch to read EMF lines locally.
    POWERTOOLS_METRICS_DISABLED: "true",
    ...(options.env ?? {}),
  };
}
