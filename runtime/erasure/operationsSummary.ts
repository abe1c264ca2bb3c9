// What the console's operations page shows (GET /operations): requests by state, the oldest open
// request's age, the dead-letter queues' depths (GetQueueAttributes) and the last purge failures; requests counted over the requests table's byStatus index (COUNT queries: no item is read
// but the open requests' dates). The same figures as the CloudWatch dashboard's, read from the tables.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { erasureStates, ErasureState } from "../contracts/requests";
import { countInState, openStates, requestsInState } from "./requestPages";
import { FailureSummary, lastFailures } from "./forget/lastFailures";

export interface OperationsSummary {
  byState: Record<ErasureState, number>;
  /** The open request received first: when, and how many days ago. */
  oldestOpen?: { requestId: string; state: ErasureState; receivedAt: string; ageDays: number };
  /** Open requests past their deadline. */
  overdue: number;
  /** The last purge failures recorded (the errors table), newest first. */
  lastFailures: FailureSummary[];
  /** Each dead-letter queue the API function may read, by its name in the stack (infra/lethe.ts). */
  deadLetterQueues: DeadLetterQueueDepth[];
  at: string;
}

export interface DeadLetterQueueDepth {
  name: string;
  /** ApproximateNumberOfMessages: messages waiting to be looked at. */
  messages: number;
  /** ApproximateNumberOfMessagesNotVisible: messages being received right now. */
  inFlight: number;
}

interface Deps {
  doc: DynamoDBDocumentClient;
  requestsTable: string;
  errorsTable: string;
  sqs: SQSClient;
  /** Queue URL by the name the page shows. */
  deadLetterQueues: Record<string, string>;
}

/** Every queue's depth, in name order; the queues are read in parallel (one call each). */
export async function deadLetterQueueDepths(
  sqs: SQSClient,
  queues: Record<string, string>,
): Promise<DeadLetterQueueDepth[]> {
  const names = Object.keys(queues).sort();
  return Promise.all(
    names.map(async (name) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queues[name],
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      return {
        name,
        messages: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    }),
  );
}

export async function operationsSummary(deps: Deps, now = new Date()): Promise<OperationsSummary> {
  const byState = Object.fromEntries(erasureStates.map((s) => [s, 0])) as Record<ErasureState, number>;
  let oldest: OperationsSummary["oldestOpen"];
  let overdue = 0;
  for (const state of erasureStates) {
    if (!openStates.includes(state)) {
      byState[state] = await countInState(deps.doc, deps.requestsTable, state);
      continue;
    }
    // Open requests are read (their dates only): the oldest and the overdue among them.
    const open = await requestsInState(deps.doc, deps.requestsTable, state, {
      projection: "requestId, receivedAt, deadline",
    });
    byState[state] = open.length;
    for (const item of open) {
      const receivedAt = typeof item.receivedAt === "string" ? item.receivedAt : undefined;
      if (typeof item.deadline === "string" && Date.parse(item.deadline) < now.getTime()) overdue++;
      if (receivedAt && (!oldest || receivedAt < oldest.receivedAt))
        oldest = {
          requestId: String(item.requestId),
          state,
          receivedAt,
          ageDays: Math.floor((now.getTime() - Date.parse(receivedAt)) / 86_400_000),
        };
    }
  }
  return {
    byState,
    ...(oldest ? { oldestOpen: oldest } : {}),
    overdue,
    lastFailures: await lastFailures(deps),
    deadLetterQueues: await deadLetterQueueDepths(deps.sqs, deps.deadLetterQueues),
    at: now.toISOString(),
  };
}
