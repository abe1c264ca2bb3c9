// What a packaged function runs with against a local stack: the program's environment for it, its
// mocked identifiers replaced by the local ones (as `lethe invoke` and `lethe api --local` give it);
// for every function of a local batch, completed from the stack's outputs (the same variables the program sets
// from the same resources), with the embedded find engine instead of Athena.
import * as os from "node:os";
import * as path from "node:path";
import { envNames } from "../../runtime/contracts/env";
import type { LocalStack } from "../../runtime/contracts/stack";
import { erasureEnvironment } from "../../runtime/erasure/settings";
import { UsageError } from "../../runtime/contracts/errors";
import { lambdaEnvironment, PackagedFunction } from "../program/packaging";

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

/** Every value with the mocked identifiers in it replaced by the local ones (longest first). */
export function localizeEnvironment(
  env: Record<string, string>,
  localResources: Record<string, string> = {},
): Record<string, string> {
  const mocked = Object.keys(localResources).sort((a, b) => b.length - a.length);
  const localize = (value: string) =>
    mocked.reduce((v, id) => (v.includes(id) ? v.split(id).join(localResources[id]) : v), value);
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, localize(v)]));
}

/** The environment `fn` runs with in process against a local stack: the program's, localized, and the emulator. */
export function localFunctionEnvironment(
  fn: PackagedFunction,
  outputs: { endpoint?: unknown; region?: unknown; localResources?: Record<string, string> },
): Record<string, string> {
  if (typeof outputs.endpoint !== "string" || outputs.endpoint === "") {
    throw new UsageError("the local stack outputs have no endpoint: run `lethe up --local` again");
  }
  const env: Record<string, string> = {
    ...localizeEnvironment(lambdaEnvironment(fn), outputs.localResources),
    AWS_ENDPOINT_URL: outputs.endpoint,
  };
  if (typeof outputs.region === "string") env.AWS_REGION = outputs.region;
  // An emulator takes any credentials; keep the caller's when set.
  if (!process.env.AWS_ACCESS_KEY_ID)
    Object.assign(env, { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" });
  return env;
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
    ...localFunctionEnvironment(fn, stack),
    [envNames.findEngine]: "embedded",
    [envNames.findCacheDir]: options.findCacheDir ?? defaultFindCacheDir(),
    // The functions' own logs would drown the caller's output; warnings and errors still show.
    POWERTOOLS_LOG_LEVEL: "WARN",
    // No CloudWatch to read EMF lines locally.
    POWERTOOLS_METRICS_DISABLED: "true",
    ...(options.env ?? {}),
  };
}
