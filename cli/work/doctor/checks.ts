// What `lethe doctor` reports: one line per check of the stack, each with what to change when it
// fails. A must-have check failing means an erasure cannot be trusted to finish (`lethe erase` refuses
// to start without --force); a should-have one means something an operator ought to fix.

export type CheckLevel = "must" | "should";
export type CheckStatus = "ok" | "failed" | "skipped";

export interface DoctorCheck {
  /** What was checked, e.g. "bucket versioning". */
  check: string;
  /** Of what: a data mapper, a store, the stack. */
  subject: string;
  level: CheckLevel;
  status: CheckStatus;
  /** failed: what is wrong. skipped: why it could not be checked. ok: what was seen. */
  detail: string;
  /** failed: what to change. */
  fix?: string;
}

export const ok = (check: string, subject: string, level: CheckLevel, detail: string): DoctorCheck => ({
  check,
  subject,
  level,
  status: "ok",
  detail,
});

export const failed = (
  check: string,
  subject: string,
  level: CheckLevel,
  detail: string,
  fix: string,
): DoctorCheck => ({ check, subject, level, status: "failed", detail, fix });

export const skipped = (check: string, subject: string, level: CheckLevel, detail: string): DoctorCheck => ({
  check,
  subject,
  level,
  status: "skipped",
  detail,
});

/** `lethe doctor`'s exit code for what it found: 0 every check passed or was skipped, 1 a check failed. */
export function doctorExitCode(checks: readonly DoctorCheck[]): 0 | 1 {
  return checks.some((c) => c.status === "failed") ? 1 : 0;
}

/** The must-have checks that failed: what makes `lethe erase` refuse to start. */
export function failedMustHaves(checks: readonly DoctorCheck[]): DoctorCheck[] {
  return checks.filter((c) => c.status === "failed" && c.level === "must");
}

/**
 * An AWS error's name and the first line of its message, for a check's detail (never a subject's ID:
 * none is ever sent). An emulator without the API answers with a page the SDK cannot parse.
 */
export function awsError(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const line = (e?.message ?? String(err)).split("\n")[0].trim();
  return `${e?.name ?? "Error"}${status ? ` (HTTP ${status})` : ""}: ${line}`;
}
