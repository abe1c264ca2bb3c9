// The stack settings the erasure functions obey (deadline, how long requests, errors, audit records
// and a failed request's raw IDs are kept), from the validated config, as the environment variables
// runtime/erasure/settings.ts reads. Every function that writes the requests, errors or audit tables
// gets this environment.
import { LetheConfig } from "../config";
import { ErasureSettings, erasureEnvironment } from "../../runtime/erasure/settings";

export function erasureSettingsOf(config: LetheConfig): ErasureSettings {
  return {
    deadlineDays: config.erasureDeadlineDays,
    requestRetentionDays: config.requestRetentionDays,
    errorRetentionDays: config.errorRetentionDays,
    auditRetentionDays: config.auditRetentionDays,
    failedRequestIdGraceDays: config.failedRequestIdGraceDays,
  };
}

export function erasureEnvironmentOf(config: LetheConfig): Record<string, string> {
  return erasureEnvironment(erasureSettingsOf(config));
}
