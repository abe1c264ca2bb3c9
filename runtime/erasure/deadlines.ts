// The legal deadline, watched: which open requests are due within the warning window or already past
// their deadline, one alert per request and kind (a conditional write marks it sent), and the figures
// the dashboard and alarms read. Alerts name requests by id and count subjects; they never carry an ID.
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { requestsInState } from "./requestPages";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { endStates, erasureStates, ErasureState } from "../contracts/requests";

const dayMs = 86_400_000;

export interface OpenRequest {
  requestId: string;
  status: ErasureState;
  deadline: string;
  receivedAt: string;
}

export type DeadlineAlertKind = "dueSoon" | "overdue";

export interface DeadlineFinding {
  requestId: string;
  status: ErasureState;
  deadline: string;
  /** Whole days left (negative once overdue). */
  daysLeft: number;
  kind: DeadlineAlertKind;
}

export interface DeadlineSweep {
  openRequests: number;
  dueSoon: number;
  overdue: number;
  /** Age in days of the oldest open request (0 when none is open). */
  oldestOpenAgeDays: number;
  alertsSent: number;
  findings: DeadlineFinding[];
  /** Requests in each watched state (the dashboard's "requests by state"). */
  byState: Partial<Record<ErasureState, number>>;
}

/** Whole days from `now` to `deadline`, rounded down (a request due in 20 hours has 0 days left). */
export function daysLeft(deadline: string, now: Date): number {
  return Math.floor((Date.parse(deadline) - now.getTime()) / dayMs);
}

/** Pure: which open requests need an alert now, given the warning window in days. */
export function deadlineFindings(
  open: readonly OpenRequest[],
  now: Date,
  warnDays: number,
): DeadlineFinding[] {
  const out: DeadlineFinding[] = [];
  for (const r of open) {
    const left = (Date.parse(r.deadline) - now.getTime()) / dayMs;
    const kind: DeadlineAlertKind | undefined =
      left < 0 ? "overdue" : left <= warnDays ? "dueSoon" : undefined;
    if (kind)
      out.push({
        requestId: r.requestId,
        status: r.status,
        deadline: r.deadline,
        daysLeft: daysLeft(r.deadline, now),
        kind,
      });
  }
  return out.sort((a, b) => a.deadline.localeCompare(b.deadline));
}

/** Every request the legal clock still runs for: not finished (NEEDS_ATTENTION waits for a person, so it counts). */
export const watchedStates = erasureStates.filter((s) => !endStates.includes(s) || s === "NEEDS_ATTENTION");

export interface DeadlineSweepDeps {
  doc: DynamoDBDocumentClient;
  sns: SNSClient;
  requestsTable: string;
  alertTopicArn: string;
  warnDays: number;
  now?: () => Date;
}

/** Marks the alert as sent on the request; false when it was already sent (so each goes out once). */
async function claimAlert(deps: DeadlineSweepDeps, f: DeadlineFinding, at: string): Promise<boolean> {
  const attribute = f.kind === "overdue" ? "overdueAlertedAt" : "dueSoonAlertedAt";
  try {
    await deps.doc.send(
      new UpdateCommand({
        TableName: deps.requestsTable,
        Key: { requestId: f.requestId },
        ConditionExpression: "attribute_exists(requestId) AND attribute_not_exists(#a)",
        UpdateExpression: "SET #a = :at",
        ExpressionAttributeNames: { "#a": attribute },
        ExpressionAttributeValues: { ":at": at },
      }),
    );
    return true;
  } catch (err) {
    if (
      err instanceof ConditionalCheckFailedException ||
      (err as Error).name === "ConditionalCheckFailedException"
    )
      return false;
    throw err;
  }
}

function alertText(f: DeadlineFinding): { subject: string; message: string } {
  const when =
    f.kind === "overdue" ? `is ${-f.daysLeft} day(s) past its deadline` : `is due in ${f.daysLeft} day(s)`;
  return {
    subject: `Lethe: erasure request ${f.kind === "overdue" ? "overdue" : "due soon"}`.slice(0, 100),
    message:
      `Erasure request ${f.requestId} (${f.status}) ${when} (deadline ${f.deadline}).\n` +
      `See it with: lethe status ${f.requestId}\n` +
      (f.status === "NEEDS_ATTENTION"
        ? "It needs attention: read its status and the errors table, fix the cause, and file the subjects again.\n"
        : "It is still in progress: check the batch's execution and the purge dead-letter queue.\n"),
  };
}

/** The scheduled sweep: finds due and overdue requests, alerts each once, and returns the figures. */
export async function sweepDeadlines(deps: DeadlineSweepDeps): Promise<DeadlineSweep> {
  const now = (deps.now ?? (() => new Date()))();
  const open: OpenRequest[] = [];
  for (const state of watchedStates)
    open.push(
      ...(await requestsInState<OpenRequest>(deps.doc, deps.requestsTable, state, {
        projection: "requestId, #s, deadline, receivedAt",
      })),
    );
  const findings = deadlineFindings(open, now, deps.warnDays);
  let alertsSent = 0;
  for (const f of findings) {
    if (!(await claimAlert(deps, f, now.toISOString()))) continue;
    const { subject, message } = alertText(f);
    await deps.sns.send(
      new PublishCommand({ TopicArn: deps.alertTopicArn, Subject: subject, Message: message }),
    );
    alertsSent++;
  }
  const oldest = open.reduce((min, r) => Math.min(min, Date.parse(r.receivedAt)), now.getTime());
  return {
    openRequests: open.length,
    dueSoon: findings.filter((f) => f.kind === "dueSoon").length,
    overdue: findings.filter((f) => f.kind === "overdue").length,
    oldestOpenAgeDays: Math.max(0, (now.getTime() - oldest) / dayMs),
    alertsSent,
    findings,
    byState: Object.fromEntries(watchedStates.map((s) => [s, open.filter((r) => r.status === s).length])),
  };
}
