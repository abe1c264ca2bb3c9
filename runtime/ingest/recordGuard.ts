// The ingest guard's decision per Firehose record: Ok (pass unchanged), Dropped (the customer opted
// out) or ProcessingFailed (malformed: Firehose writes it under the error prefix). The bloom filter
// clears almost every record; its positives are confirmed in the registry in one batch per
// invocation, through an LRU cache with expiry. Without a filter every record is confirmed.
// A cached answer never outlives the filter generation it was given under (the cache is emptied when
// the generation changes, since a new generation is how a registration shows), and a "not opted out"
// answer is reused for at most `negativeCacheTtlMs`: so a subject registered in the registry is
// dropped within one refresh interval of its generation's publication (docs/bloom.md, "The bound").
import { LRUCache } from "lru-cache";
import { OptOutLookup } from "./optOutRegistry";
import { FilterProvider } from "./filterSource";
import { jsonRecordKey } from "../subjects/jsonRecordKey";

export interface FirehoseRecord {
  recordId: string;
  /** Base64 of the record's bytes (one JSON object). */
  data: string;
  approximateArrivalTimestamp?: number;
}

export type TransformationResult = "Ok" | "Dropped" | "ProcessingFailed";

export interface TransformedRecord {
  recordId: string;
  result: TransformationResult;
  data: string;
}

export interface GuardStats {
  recordsIn: number;
  ok: number;
  dropped: number;
  failed: number;
  /** Records the filter could not clear (positives, or all records in fallback). */
  filterPositives: number;
  cacheHits: number;
  /** Distinct IDs confirmed in DynamoDB. */
  dynamoLookups: number;
  /** The filter generation used, or undefined in fallback. */
  generation?: number;
  fallbackReason?: string;
  /** The filter pointer has been unreadable too long: no filter is trusted, every record confirmed. */
  filterStale: boolean;
}

export interface RecordGuardOptions {
  filters: FilterProvider;
  registry: OptOutLookup;
  cacheTtlMs: number;
  /**
   * How long a "not opted out" answer is reused (0: never cached), capped by cacheTtlMs. Set it to the
   * filter refresh interval: without a filter (fallback) no generation change can announce an opt-out.
   * Default: cacheTtlMs.
   */
  negativeCacheTtlMs?: number;
  cacheMaxEntries: number;
  /** The JSON field naming the data subject. */
  idField?: string;
}

export class RecordGuard {
  private readonly cache: LRUCache<string, boolean>;
  private readonly idField: string;
  private readonly negativeTtlMs: number;
  /** The filter generation the cached answers were given under (undefined: none, fallback). */
  private cachedUnder: number | undefined;

  constructor(private readonly options: RecordGuardOptions) {
    this.cache = new LRUCache<string, boolean>({ max: options.cacheMaxEntries, ttl: options.cacheTtlMs });
    this.idField = options.idField ?? "customer_id";
    this.negativeTtlMs = Math.min(options.negativeCacheTtlMs ?? options.cacheTtlMs, options.cacheTtlMs);
    this.cachedUnder = undefined;
  }

  async transform(
    records: readonly FirehoseRecord[],
  ): Promise<{ records: TransformedRecord[]; stats: GuardStats }> {
    const { filter, generation, reason, stale } = await this.options.filters.current();
    if (generation !== this.cachedUnder) {
      // A new generation (or losing the filter) may mean new opt-outs: no answer from before is reused.
      this.cache.clear();
      this.cachedUnder = generation;
    }
    const stats: GuardStats = {
      recordsIn: records.length,
      ok: 0,
      dropped: 0,
      failed: 0,
      filterPositives: 0,
      cacheHits: 0,
      dynamoLookups: 0,
      ...(filter ? { generation } : { fallbackReason: reason }),
      filterStale: stale === true,
    };
    const out: TransformedRecord[] = new Array(records.length);
    // ID -> indexes of the records waiting for its confirmation.
    const pending = new Map<string, number[]>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const id = this.customerId(r.data);
      if (id === undefined) {
        out[i] = { recordId: r.recordId, result: "ProcessingFailed", data: r.data };
        continue;
      }
      if (filter && !filter.has(id)) {
        out[i] = { recordId: r.recordId, result: "Ok", data: r.data };
        continue;
      }
      stats.filterPositives++;
      const known = this.cache.get(id);
      if (known !== undefined) {
        stats.cacheHits++;
        out[i] = { recordId: r.recordId, result: known ? "Dropped" : "Ok", data: r.data };
        continue;
      }
      const waiting = pending.get(id);
      if (waiting) waiting.push(i);
      else pending.set(id, [i]);
    }
    if (pending.size > 0) {
      const ids = [...pending.keys()];
      stats.dynamoLookups = ids.length;
      // Throws when DynamoDB cannot answer: Firehose then retries the whole batch, nothing passes unchecked.
      const optedOut = await this.options.registry.optedOut(ids);
      for (const id of ids) {
        const isOut = optedOut.has(id);
        if (isOut) this.cache.set(id, true);
        else if (this.negativeTtlMs > 0) this.cache.set(id, false, { ttl: this.negativeTtlMs });
        for (const i of pending.get(id)!) {
          out[i] = { recordId: records[i].recordId, result: isOut ? "Dropped" : "Ok", data: records[i].data };
        }
      }
    }
    for (const r of out) {
      if (r.result === "Ok") stats.ok++;
      else if (r.result === "Dropped") stats.dropped++;
      else stats.failed++;
    }
    return { records: out, stats };
  }

  /** The record's customer ID, or undefined when the record is not a JSON object carrying one. */
  private customerId(data: string): string | undefined {
    if (typeof data !== "string" || data.length === 0) return undefined;
    const text = Buffer.from(data, "base64").toString("utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    // The purge's own reading of a record's key: a numeric ID is its exact integer's decimal text.
    let key: string[] | null;
    try {
      key = jsonRecordKey(text, parsed as Record<string, unknown>, [this.idField]);
    } catch {
      return undefined;
    }
    return key && key[0].length > 0 ? key[0] : undefined;
  }
}
