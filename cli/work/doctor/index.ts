// `lethe doctor`'s work: what to check, from the stack's outputs (a deployed stack's functions tell
// the purge role and the stores' settings; a local stack's program declarations tell its stores), and
// every check run, reading only. The checks themselves are in this folder, one file per concern.
import { AthenaClient } from "@aws-sdk/client-athena";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GlueClient } from "@aws-sdk/client-glue";
import { IAMClient } from "@aws-sdk/client-iam";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import {
  makeAthenaClient,
  makeDynamoDbClient,
  makeGlueClient,
  makeLambdaClient,
  makeS3Client,
  makeSecretsManagerClient,
  makeSnsClient,
  resolveClientConfig,
} from "../../../runtime/aws/clients";
import { envNames } from "../../../runtime/contracts/env";
import { DataMapper } from "../../../runtime/contracts/mappers";
import { StoreConfig, validateStore } from "../../../runtime/contracts/stores";
import { resolveStackOutputs, StackChoice, StackOutputs, useStackEnvironment } from "../stackOutputs";
import { purgeAccessChecks } from "./accessChecks";
import { bucketChecks } from "./bucketChecks";
import { awsError, DoctorCheck, failed, failedMustHaves, skipped } from "./checks";
import { glueTableChecks, objectSampleChecks } from "./lakeChecks";
import { alertTopicChecks, athenaChecks } from "./serviceChecks";
import { storeChecks } from "./storeChecks";

export * from "./checks";

/** Everything the doctor checks, by name: the stack's outputs and what its functions were given. */
export interface DoctorTarget {
  local: boolean;
  region: string;
  mappers: DataMapper[];
  deadlineDays: number;
  athenaWorkgroup: string;
  athenaResultsBucket: string;
  alertTopicArn: string;
  kmsKeyArn: string;
  /** The purge function's role (a deployed stack; a local stack has no IAM). */
  purgeRoleArn?: string;
  stores: StoreConfig[];
}

export interface DoctorClients {
  s3: S3Client;
  glue: GlueClient;
  athena: AthenaClient;
  sns: SNSClient;
  iam: IAMClient;
  dynamodb: DynamoDBClient;
  secrets: SecretsManagerClient;
}

export function doctorClients(): DoctorClients {
  return {
    s3: makeS3Client(),
    glue: makeGlueClient(),
    athena: makeAthenaClient(),
    sns: makeSnsClient(),
    iam: new IAMClient(resolveClientConfig()),
    dynamodb: makeDynamoDbClient(),
    secrets: makeSecretsManagerClient(),
  };
}

/** The doctor could not look at the stack at all (no endpoint, no credentials): exit 2. */
export class DoctorCannotRun extends Error {}

const unreachable = new Set([
  "CredentialsProviderError",
  "TimeoutError",
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
]);

function cannotRun(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  return [e?.name, e?.code, e?.cause?.code].some((n) => n !== undefined && unreachable.has(n));
}

/** Runs one group of checks; an error no check expected is a failed check of that group (or exit 2). */
async function group(
  check: string,
  subject: string,
  run: () => Promise<DoctorCheck[]>,
): Promise<DoctorCheck[]> {
  try {
    return await run();
  } catch (err) {
    if (cannotRun(err)) throw new DoctorCannotRun(`cannot reach AWS: ${awsError(err)}`);
    return [
      failed(check, subject, "must", `the check could not complete: ${awsError(err)}`, "see the error"),
    ];
  }
}

export async function runDoctor(target: DoctorTarget, clients: DoctorClients): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const mapper of target.mappers) {
    const subject = `mapper ${mapper.name}`;
    checks.push(
      ...(await group("bucket", subject, () => bucketChecks(clients.s3, mapper, target.deadlineDays))),
    );
    checks.push(...(await group("glue table", subject, () => glueTableChecks(clients.glue, mapper))));
    checks.push(...(await group("object format", subject, () => objectSampleChecks(clients.s3, mapper))));
    if (target.purgeRoleArn) {
      const role = target.purgeRoleArn;
      checks.push(
        ...(await group("purge role access", subject, () =>
          purgeAccessChecks(clients, role, mapper, target.kmsKeyArn, target.region),
        )),
      );
    } else {
      checks.push(
        skipped(
          "purge role access",
          subject,
          "must",
          target.local
            ? "skipped: the local stack has no IAM roles (the emulator holds none of the program's IAM; test/infra checks the grants)"
            : "skipped: the purge function's role is unknown",
        ),
      );
    }
  }
  checks.push(
    ...(await group("athena workgroup", `athena workgroup ${target.athenaWorkgroup}`, () =>
      athenaChecks(clients, target.athenaWorkgroup, target.athenaResultsBucket),
    )),
  );
  checks.push(...(await group("store reachable", "stores", () => storeChecks(clients, target.stores))));
  checks.push(
    ...(await group("alert subscriptions", `alert topic ${target.alertTopicArn}`, () =>
      alertTopicChecks(clients.sns, target.alertTopicArn),
    )),
  );
  return checks;
}

function required(outputs: StackOutputs, key: string): string {
  const v = outputs[key];
  if (typeof v !== "string" || v === "") throw new DoctorCannotRun(`the stack outputs have no ${key}`);
  return v;
}

/** A deployed function's environment and role (Lambda GetFunctionConfiguration). */
async function functionConfig(lambda: LambdaClient, name: string) {
  try {
    return await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  } catch (err) {
    if (cannotRun(err)) throw new DoctorCannotRun(`cannot reach AWS: ${awsError(err)}`);
    throw new DoctorCannotRun(`cannot read function ${name}: ${awsError(err)}`);
  }
}

/** The stores a local stack's program declares: each store function's environment, made local. */
async function localStores(outputs: StackOutputs): Promise<StoreConfig[]> {
  // The declarations cost a program run (or its cache, about a second): only for a stack with stores.
  if (Object.keys((outputs.storeFunctions ?? {}) as Record<string, string>).length === 0) return [];
  const { programDeclarations } = await import("../../../local/stack/declarations");
  const { localize, plainValue } = await import("../../../local/stack/context");
  const run = await programDeclarations(
    typeof outputs.stack === "string" ? outputs.stack : undefined,
    typeof outputs.program === "string" ? outputs.program : undefined,
  );
  return run.resources
    .filter((r) => r.type === "aws:lambda/function:Function")
    .map(
      (r) => (plainValue(r.inputs) as { environment?: { variables?: Record<string, string> } }).environment,
    )
    .map((e) => e?.variables?.[envNames.store])
    .filter((s): s is string => typeof s === "string")
    .map((s) => validateStore(JSON.parse(localize(s, outputs.localResources ?? {})), envNames.store));
}

/** What to check, from the stack's outputs (and, for a deployed stack, its functions' settings). */
export async function doctorTarget(outputs: StackOutputs): Promise<DoctorTarget> {
  const mappers = outputs.dataMappers;
  if (!Array.isArray(mappers)) throw new DoctorCannotRun("the stack outputs have no dataMappers");
  const base = {
    local: outputs.local === true,
    region: resolveClientConfig().region,
    mappers: mappers as DataMapper[],
    deadlineDays: Number(outputs.erasureDeadlineDays ?? 30),
    athenaWorkgroup: required(outputs, "athenaWorkgroup"),
    athenaResultsBucket: required(outputs, "athenaResultsBucket"),
    alertTopicArn: required(outputs, "alertTopicArn"),
    kmsKeyArn: required(outputs, "kmsKeyArn"),
  };
  if (outputs.local) return { ...base, stores: await localStores(outputs) };
  const lambda = makeLambdaClient();
  const purge = await functionConfig(lambda, required(outputs, "purgeFunction"));
  const storeFunctions = (outputs.storeFunctions ?? {}) as Record<string, string>;
  const stores: StoreConfig[] = [];
  for (const name of Object.values(storeFunctions)) {
    const raw = (await functionConfig(lambda, name)).Environment?.Variables?.[envNames.store];
    if (raw) stores.push(validateStore(JSON.parse(raw), envNames.store));
  }
  return { ...base, purgeRoleArn: purge.Role, stores };
}

/** The checks of the stack an operator command names (`--stack-outputs`, `--stack`, or the local file). */
export async function doctorStack(choice: StackChoice, clients?: DoctorClients): Promise<DoctorCheck[]> {
  const { outputs } = resolveStackOutputs(choice);
  useStackEnvironment(outputs);
  const target = await doctorTarget(outputs);
  return runDoctor(target, clients ?? doctorClients());
}

/**
 * The must-have checks the stack fails: what makes `lethe erase` refuse to start. A doctor that cannot
 * run is a finding too: an erasure against a stack nobody can look at would not get far.
 */
export async function mustHaveFindings(choice: StackChoice): Promise<DoctorCheck[]> {
  try {
    return failedMustHaves(await doctorStack(choice));
  } catch (err) {
    if (!(err instanceof DoctorCannotRun)) throw err;
    return [failed("doctor", "the stack", "must", err.message, "see `lethe doctor`")];
  }
}
