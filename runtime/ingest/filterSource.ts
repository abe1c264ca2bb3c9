// The transformer's view of the newest published filter: it checks the pointer at most once every
// `refreshMs`, loads a newer generation when there is one, and reports "fallback" (confirm every
// record in DynamoDB) whenever the newest filter cannot be had. A failed pointer read keeps the
// filter held for at most `maxStalenessMs` after the last pointer read that worked: past that the
// filter may lack any opt-out registered since, so it is dropped (fallback, `stale`) until the pointer
// can be read again.
import { S3Client } from "@aws-sdk/client-s3";
import { BloomFilter } from "./bloomFilter";
import { FilterLocation, readFilter, readPointer } from "./filterStore";

export interface FilterState {
  /** Undefined: fall back to confirming every record. */
  filter?: BloomFilter;
  generation?: number;
  /** Why there is no filter (for logs and the reply). */
  reason?: string;
  /** The pointer has been unreadable for longer than maxStalenessMs (alarmed on: FilterStale). */
  stale?: boolean;
}

export interface FilterRefreshTiming {
  /** The pointer is read at most this often. */
  refreshMs: number;
  /** After this long without a readable pointer the filter held is no longer trusted. */
  maxStalenessMs: number;
}

export interface FilterProvider {
  current(): Promise<FilterState>;
}

export type FilterEvent =
  | { kind: "loaded"; generation: number; itemCount: number; bytes: number }
  | { kind: "fallback"; reason: string }
  | { kind: "kept"; generation: number; reason: string }
  | { kind: "stale"; unreadableForMs: number; reason: string };

export class RefreshingFilterSource implements FilterProvider {
  private state: FilterState;
  private checkedAt: number;
  /** When the pointer was last read (or the source started): staleness is measured from here. */
  private pointerReadAt: number;

  constructor(
    private readonly s3: S3Client,
    private readonly location: FilterLocation,
    private readonly timing: FilterRefreshTiming,
    private readonly onEvent: (e: FilterEvent) => void = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {
    this.state = { reason: "not loaded yet" };
    this.checkedAt = Number.NEGATIVE_INFINITY;
    this.pointerReadAt = clock();
  }

  async current(): Promise<FilterState> {
    const now = this.clock();
    if (now - this.checkedAt < this.timing.refreshMs) return this.state;
    this.checkedAt = now;
    let pointer;
    try {
      pointer = await readPointer(this.s3, this.location);
    } catch (err) {
      const unreadableForMs = now - this.pointerReadAt;
      if (unreadableForMs > this.timing.maxStalenessMs) {
        const reason = `filter pointer unreadable for ${Math.round(unreadableForMs / 1000)} s: ${message(err)}`;
        this.state = { reason, stale: true };
        this.onEvent({ kind: "stale", unreadableForMs, reason });
        return this.state;
      }
      // An S3 hiccup: the filter we hold is at most maxStalenessMs behind the pointer.
      if (this.state.filter) {
        this.onEvent({ kind: "kept", generation: this.state.generation!, reason: message(err) });
        return this.state;
      }
      return this.fallBack(`filter pointer unreadable: ${message(err)}`);
    }
    this.pointerReadAt = now;
    if (!pointer) return this.fallBack("no filter published yet");
    if (pointer.generation === this.state.generation && this.state.filter) return this.state;
    try {
      const filter = await readFilter(this.s3, this.location, pointer);
      this.state = { filter, generation: pointer.generation };
      this.onEvent({
        kind: "loaded",
        generation: pointer.generation,
        itemCount: filter.itemCount,
        bytes: pointer.bytes,
      });
      return this.state;
    } catch (err) {
      return this.fallBack(`filter generation ${pointer.generation} unusable: ${message(err)}`);
    }
  }

  private fallBack(reason: string): FilterState {
    this.state = { reason };
    this.onEvent({ kind: "fallback", reason });
    return this.state;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
