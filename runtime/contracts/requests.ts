// The states an erasure request and its batch go through (../shared/WORKFLOW.md), and which moves
// between them are allowed. Every move is a conditional write on the current state, so two writers
// racing over one request cannot both win, and a finished request never moves again.

export const erasureStates = [
  "RECEIVED",
  "BATCHED",
  "FINDING",
  "AWAITING_APPROVAL",
  "FORGETTING",
  "VERIFYING",
  "COMPLETED",
  "NEEDS_ATTENTION",
  "REJECTED",
  "CANCELLED",
] as const;
export type ErasureState = (typeof erasureStates)[number];

/**
 * Most IDs one erasure request may name (the request function, `POST /requests`). A request larger
 * than one batch is split into parts of a batch each (runtime/erasure/intake.ts); the cap is what one
 * invocation carries anyway (Lambda's 6 MB synchronous payload).
 */
export const maxRequestIds = 200_000;

/** Where no step leads on by itself: COMPLETED, REJECTED and CANCELLED are final; NEEDS_ATTENTION waits for a person. */
export const endStates: readonly ErasureState[] = ["COMPLETED", "NEEDS_ATTENTION", "REJECTED", "CANCELLED"];

/** The states a request or batch may move to from each state. */
export const allowedMoves: Record<ErasureState, readonly ErasureState[]> = {
  RECEIVED: ["BATCHED", "CANCELLED"],
  BATCHED: ["FINDING", "CANCELLED", "NEEDS_ATTENTION"],
  FINDING: ["AWAITING_APPROVAL", "FORGETTING", "CANCELLED", "NEEDS_ATTENTION"],
  AWAITING_APPROVAL: ["FORGETTING", "REJECTED", "CANCELLED", "NEEDS_ATTENTION"],
  FORGETTING: ["VERIFYING", "CANCELLED", "NEEDS_ATTENTION"],
  // Verify sends new hits back to forget (bounded rounds).
  VERIFYING: ["FORGETTING", "COMPLETED", "CANCELLED", "NEEDS_ATTENTION"],
  COMPLETED: [],
  // A person may look, fix and file the subjects again, or resume the batch with `lethe retry`
  // (runtime/erasure/retry.ts): from find (BATCHED) or from its last forget round (FORGETTING).
  NEEDS_ATTENTION: ["BATCHED", "FORGETTING"],
  REJECTED: [],
  CANCELLED: [],
};

/** The states from which a move to `to` is allowed. */
export function statesMovingTo(to: ErasureState): ErasureState[] {
  return erasureStates.filter((from) => allowedMoves[from].includes(to));
}

export function isErasureState(s: unknown): s is ErasureState {
  return typeof s === "string" && (erasureStates as readonly string[]).includes(s);
}

/**
 * An erasure request names its subjects in `customerIds`, in the console event, the HTTP API's body
 * and the CLI's event alike; the old name `ids` is refused with this message rather than ignored.
 */
export const idsFieldRefusal = 'the IDs go in "customerIds"; "ids" is not a field of an erasure request';
