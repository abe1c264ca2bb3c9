// What the purge and errors functions read from their environment (set by infra/erasure/purgeWorkers.ts),
// parsed once per cold start; a missing or bad variable stops the start with a message naming it.
import { Env, envNames, numberEnv, requiredEnv } from "../../contracts/env";
import type { DataMapper } from "../../contracts/mappers";
import { parseS3Location } from "../../contracts/mappers";

export interface PurgeFunctionSettings {
  mappers: DataMapper[];
  locksTable: string;
  ledgerTable: string;
  indexTable: string;
  purgeQueueUrl: string;
  deadLetterQueueUrl: string;
  /** Longest wait for an object's lock (also bounded by the time the invocation has left). */
  lockWaitSeconds: number;
  /** Time kept for the purge itself once the lock is granted. */
  workReserveSeconds: number;
  maxObjectBytes: number;
  /** Times a message is put back for a busy lock or a conflict before it goes to the errors table. */
  maxRequeues: number;
  ledgerRetentionDays: number;
}

export interface ErrorsFunctionSettings {
  ledgerTable: string;
  errorsTable: string;
  alertTopicArn: string;
  ledgerRetentionDays: number;
  errorRetentionDays: number;
}

export function dataMappersFromEnv(env: Env): DataMapper[] {
  const name = envNames.dataMappers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(requiredEnv(env, name));
  } catch (err) {
    throw new Error(
      `environment variable ${name} is not a JSON array of data mappers: ${(err as Error).message}`,
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new Error(`environment variable ${name} must be a non-empty JSON array of data mappers`);
  }
  return parsed.map((m: Partial<DataMapper>, i) => {
    const ok =
      typeof m?.name === "string" &&
      typeof m.location === "string" &&
      Array.isArray(m.idColumns) &&
      m.idColumns.length > 0 &&
      m.idColumns.every((c) => typeof c === "string" && c !== "");
    if (!ok)
      throw new Error(`environment variable ${name}: mapper ${i} needs a name, a location and idColumns`);
    parseS3Location(m.location!);
    return m as DataMapper;
  });
}

export function purgeSettingsFromEnv(env: Env): PurgeFunctionSettings {
  return {
    mappers: dataMappersFromEnv(env),
    locksTable: requiredEnv(env, envNames.locksTable),
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    indexTable: requiredEnv(env, envNames.indexTable),
    purgeQueueUrl: requiredEnv(env, envNames.purgeQueueUrl),
    deadLetterQueueUrl: requiredEnv(env, envNames.purgeDeadLetterQueueUrl),
    lockWaitSeconds: numberEnv(env, envNames.purgeLockWaitSeconds, 0, 900, 60),
    workReserveSeconds: numberEnv(env, envNames.purgeWorkReserveSeconds, 0, 900, 60),
    maxObjectBytes: numberEnv(env, envNames.purgeMaxObjectBytes, 1, Number.MAX_SAFE_INTEGER, 2 ** 31),
    maxRequeues: numberEnv(env, envNames.purgeMaxRequeues, 0, 1000, 20),
    ledgerRetentionDays: numberEnv(env, envNames.ledgerRetentionDays, 1, 3650, 365),
  };
}

export function errorsSettingsFromEnv(env: Env): ErrorsFunctionSettings {
  return {
    ledgerTable: requiredEnv(env, envNames.ledgerTable),
    errorsTable: requiredEnv(env, envNames.errorsTable),
    alertTopicArn: requiredEnv(env, envNames.alertTopicArn),
    ledgerRetentionDays: numberEnv(env, envNames.ledgerRetentionDays, 1, 3650, 365),
    errorRetentionDays: numberEnv(env, envNames.errorRetentionDays, 1, 3650, 90),
  };
}
