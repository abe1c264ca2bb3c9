// The one interface every store beyond the lake answers: how many items a batch's subjects have,
// erase them, and how many are left. Every answer is a count; no method returns or logs an ID.

export interface FindResult {
  /** Items or rows the subjects have in the store. */
  count: number;
  /** The same count per table, where a store has several. */
  byTable?: Record<string, number>;
}

export interface EraseResult {
  /** Items or rows deleted by this call. */
  deleted: number;
  byTable?: Record<string, number>;
  /** Items found but changed by a writer before the delete; they were found again and deleted. */
  changedSinceFound?: number;
}

export interface VerifyResult {
  /** Items or rows the subjects still have: zero means erased. */
  remaining: number;
  byTable?: Record<string, number>;
}

export interface EraseOptions {
  /**
   * The batch's fencing token (from its lock): stores without a conditional write of their own tag
   * their work with it so a stale worker's delete can be told apart; see docs/stores.md per kind.
   */
  fencingToken: number;
}

export interface Store {
  readonly name: string;
  find(ids: readonly string[]): Promise<FindResult>;
  erase(ids: readonly string[], options: EraseOptions): Promise<EraseResult>;
  verify(ids: readonly string[]): Promise<VerifyResult>;
}

/** A store call that could not complete; the message names the store and the reason, never an ID. */
export class StoreError extends Error {
  constructor(
    readonly store: string,
    readonly reason: string,
  ) {
    super(`store "${store}": ${reason}`);
    this.message = `store "${store}": ${reason}`;
    this.name = "StoreError";
  }
}
