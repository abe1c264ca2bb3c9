// The requests an operator looks at (`lethe requests`): each with its state, deadline and the days
// left on the legal clock, overdue first. Read through the requests table's byStatus index, one
// query per state; no subject IDs or hashes are read, only a count.
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { requestsInState } from "./requestPages";
import { erasureStates, ErasureState } from "../contracts/requests";
import { daysLeft, watchedStates } from "./deadlines";

export interface ListedRequest {
  requestId: string;
  status: ErasureState;
  receivedAt: string;
  deadline: string;
  /** How many subjects the request names (absent on a record that does not say). */
  subjectCount?: number;
  /** Whole days to the deadline (negative once past) while the clock runs; null once finished. */
  daysLeft: number | null;
  /** The clock runs and the deadline has passed. */
  overdue: boolean;
}

export interface RequestListOptions {
  /** Only the requests the legal clock still runs for (unfinished, or waiting for a person). */
  open?: boolean;
  now?: Date;
}

interface RequestItem {
  requestId: string;
  status: ErasureState;
  receivedAt: string;
  deadline: string;
  subjectCount?: number;
}

function inState(doc: DynamoDBDocumentClient, table: string, status: ErasureState): Promise<RequestItem[]> {
  return requestsInState<RequestItem>(doc, table, status, {
    projection: "requestId, #s, receivedAt, deadline, subjectCount",
  });
}

/** Pure: the listing of `items` at `now`, overdue first (most overdue first), then by deadline. */
export function requestListing(items: readonly RequestItem[], now: Date): ListedRequest[] {
  const listed = items.map((r): ListedRequest => {
    const running = watchedStates.includes(r.status);
    const left = running ? daysLeft(r.deadline, now) : null;
    return {
      requestId: r.requestId,
      status: r.status,
      receivedAt: r.receivedAt,
      deadline: r.deadline,
      ...(typeof r.subjectCount === "number" ? { subjectCount: r.subjectCount } : {}),
      daysLeft: left,
      overdue: running && Date.parse(r.deadline) < now.getTime(),
    };
  });
  return listed.sort(
    (a, b) =>
      Number(b.overdue) - Number(a.overdue) ||
      a.deadline.localeCompare(b.deadline) ||
      a.requestId.localeCompare(b.requestId),
  );
}

/** The requests in the table (only open ones with `open`), overdue first. */
export async function listRequests(
  doc: DynamoDBDocumentClient,
  requestsTable: string,
  options: RequestListOptions = {},
): Promise<ListedRequest[]> {
  const states = options.open ? watchedStates : erasureStates;
  const items: RequestItem[] = [];
  for (const state of states) items.push(...(await inState(doc, requestsTable, state)));
  return requestListing(items, options.now ?? new Date());
}
